package ssmreach.core;

/** An AWS error that retrying will not fix (access denied, a limit reached, ...), with its code. */
public class AwsFailureException extends RuntimeException {
    private final String errorCode;

    public AwsFailureException(String errorCode, String message, Throwable cause) {
        super(errorCode + ": " + message, cause);
        this.errorCode = errorCode;
    }

    public String errorCode() {
        return errorCode;
    }
}
