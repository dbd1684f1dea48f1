package ssmreach.trigger;

import ssmreach.core.InvalidInputException;

/** An event the workflow does not handle (another source, detail type or API call). */
public class UnsupportedEventException extends InvalidInputException {
    public UnsupportedEventException(String message) {
        super(message);
    }
}
