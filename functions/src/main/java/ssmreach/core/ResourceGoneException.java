package ssmreach.core;

/** The resource to work on vanished meanwhile (subnet deleted, VPC deleted): the run ends as `gone`. */
public class ResourceGoneException extends RuntimeException {
    public ResourceGoneException(String message) {
        super(message);
    }
}
