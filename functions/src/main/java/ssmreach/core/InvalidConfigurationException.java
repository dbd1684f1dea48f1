package ssmreach.core;

/** A stack parameter (environment variable) with a value the functions cannot use. */
public class InvalidConfigurationException extends RuntimeException {
    public InvalidConfigurationException(String message) {
        super(message);
    }
}
