package ssmreach.trigger;

import ssmreach.core.InvalidInputException;

/** An event from another account or Region: ssm-reach acts only where it is deployed. */
public class ForeignResourceException extends InvalidInputException {
    public ForeignResourceException(String message) {
        super(message);
    }
}
