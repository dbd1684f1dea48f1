package ssmreach.core;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/** Reads AWS error codes and sorts failures into "retry later" and "surface as they are". */
public final class AwsErrors {
    private static final Set<String> THROTTLING = Set.of(
            "RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException",
            "ServiceUnavailable", "InternalError", "Unavailable");

    private AwsErrors() {}

    /** The AWS error code, or an empty string when the exception carries none. */
    public static String code(AwsServiceException e) {
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null
                ? "" : e.awsErrorDetails().errorCode();
    }

    /** The AWS error code of any SDK failure; empty for client-side ones. */
    public static String code(SdkException e) {
        return e instanceof AwsServiceException ase ? code(ase) : "";
    }

    public static boolean hasCode(SdkException e, String code) {
        return code.equals(code(e));
    }

    public static boolean isNotFound(SdkException e) {
        return code(e).endsWith(".NotFound");
    }

    /** A failure that may pass if the call is made again later: throttling, a server error, AWS unreachable. */
    public static boolean isRetryable(SdkException e) {
        if (e instanceof AwsServiceException ase) {
            return ase.isThrottlingException() || ase.statusCode() >= 500 || THROTTLING.contains(code(ase));
        }
        return e instanceof SdkClientException;
    }

    /** What a handler throws for an SDK failure that its own logic did not absorb. */
    public static RuntimeException translate(SdkException e) {
        if (e instanceof AwsServiceException ase) {
            String code = code(ase);
            String message = ase.awsErrorDetails() != null && ase.awsErrorDetails().errorMessage() != null
                    ? ase.awsErrorDetails().errorMessage() : ase.getMessage();
            if (isRetryable(ase)) {
                return new RetryableAwsException(code + ": " + message, ase);
            }
            return new AwsFailureException(code.isEmpty() ? "HTTP" + ase.statusCode() : code, message, ase);
        }
        if (e instanceof SdkClientException) {
            return new RetryableAwsException("AWS unreachable: " + e.getMessage(), e);
        }
        return new AwsFailureException("SdkException", e.getMessage(), e);
    }
}
