package ssmreach.core;

/**
 * An AWS answer worth trying again later: throttling, a 5xx, a lost connection, or a change made
 * by a concurrent execution that is not visible yet. The workflow retries it with jittered backoff.
 */
public class RetryableAwsException extends RuntimeException {
    public RetryableAwsException(String message, Throwable cause) {
        super(message, cause);
    }

    public RetryableAwsException(String message) {
        super(message);
    }
}
