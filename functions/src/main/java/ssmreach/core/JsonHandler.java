package ssmreach.core;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.core.JacksonException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Base of every function: typed record in, typed record out, with the project's own mapper (so
 * input is validated the same way in Lambda, locally and in tests). Exceptions are thrown, never
 * swallowed: Lambda reports their class name and the workflow's Retry and Catch act on it.
 */
public abstract class JsonHandler<I, O> implements RequestStreamHandler {
    private final Class<I> inputType;

    protected JsonHandler(Class<I> inputType) {
        this.inputType = inputType;
    }

    /** The function's work; input is already parsed and non-null. */
    public abstract O handle(I input);

    @Override
    public final void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
        I input = parse(in.readAllBytes());
        O output;
        try {
            output = handle(input);
        } catch (SdkException e) {
            throw AwsErrors.translate(e);
        }
        Json.MAPPER.writeValue(out, output);
    }

    I parse(byte[] bytes) {
        try {
            I input = Json.MAPPER.readValue(bytes, inputType);
            if (input == null) {
                throw new InvalidInputException("Input is empty; expected a " + inputType.getSimpleName());
            }
            return input;
        } catch (JacksonException e) {
            throw new InvalidInputException("Input is not a valid " + inputType.getSimpleName() + ": "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidInputException("Input could not be read: " + e.getMessage(), e);
        }
    }
}
