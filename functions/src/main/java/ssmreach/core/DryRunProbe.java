package ssmreach.core;

import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;

/**
 * A dry run's proof of permission: EC2 answers a request sent with DryRun=true with
 * {@code DryRunOperation} when it would have succeeded and {@code UnauthorizedOperation} when the
 * role lacks the permission; nothing is changed either way.
 */
public final class DryRunProbe {
    private DryRunProbe() {}

    /** Empty when permitted; a finding when the role may not make the call. */
    public static Optional<Finding> probe(String operation, String resource, Runnable dryRunCall) {
        try {
            dryRunCall.run();
        } catch (SdkException e) {
            if (AwsErrors.hasCode(e, "DryRunOperation")) {
                return Optional.empty();
            }
            if (AwsErrors.hasCode(e, "UnauthorizedOperation")) {
                return Optional.of(new Finding("PERMISSION_MISSING", Severity.ERROR, resource,
                        "The function's role may not call " + operation + " on " + resource,
                        "Deploy the stack's template unchanged; it grants exactly what the remediation calls"));
            }
            throw e;
        }
        // EC2 never answers a DryRun request with success; if an endpoint does, say so rather than hide it.
        throw new IllegalStateException(operation + " with DryRun=true returned success: the endpoint ignores DryRun");
    }
}
