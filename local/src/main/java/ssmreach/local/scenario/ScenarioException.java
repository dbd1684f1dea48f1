package ssmreach.local.scenario;

/** A scenario file that cannot be used as written: names the file, where in it, and what is wrong. */
public final class ScenarioException extends RuntimeException {
    public ScenarioException(String message) {
        super(message);
    }

    public ScenarioException(String message, Throwable cause) {
        super(message, cause);
    }
}
