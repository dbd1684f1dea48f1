package ssmreach.core;

import java.util.List;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import ssmreach.contract.Action;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;

/**
 * A dry run's proof of permission: EC2 answers a request sent with DryRun=true with
 * {@code DryRunOperation} when it would have succeeded and {@code UnauthorizedOperation} when the
 * role lacks the permission; nothing is changed either way.
 */
public final class DryRunProbe {
    private DryRunProbe() {}

    /**
     * {@link Action#ALLOWED} or {@link Action#DENIED}; a denial also adds a PERMISSION_MISSING
     * finding that carries EC2's message (with its encoded authorization message, which
     * {@code aws sts decode-authorization-message} opens).
     */
    public static String probe(String operation, String resource, Runnable dryRunCall, List<Finding> findings) {
        try {
            dryRunCall.run();
        } catch (SdkException e) {
            if (AwsErrors.hasCode(e, "DryRunOperation")) {
                return Action.ALLOWED;
            }
            if (AwsErrors.hasCode(e, "UnauthorizedOperation")) {
                String message = e instanceof AwsServiceException ase && ase.awsErrorDetails() != null
                        ? ase.awsErrorDetails().errorMessage() : e.getMessage();
                findings.add(new Finding("PERMISSION_MISSING", Severity.ERROR, resource,
                        "The function's role may not call " + operation + " on " + resource + ": " + message,
                        "Deploy the stack's template unchanged (it grants exactly what the remediation calls); "
                                + "a permissions boundary or SCP may also refuse it: decode the message to see which"));
                return Action.DENIED;
            }
            throw e;
        }
        // EC2 never answers a DryRun request with success; if an endpoint does, say so rather than hide it.
        throw new IllegalStateException(operation + " with DryRun=true returned success: the endpoint ignores DryRun");
    }
}
