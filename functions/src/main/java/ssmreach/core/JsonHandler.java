package ssmreach.core;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.core.JacksonException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.crac.Core;
import org.crac.Resource;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Base of every function: typed record in, typed record out, with the project's own mapper (so
 * input is validated the same way in Lambda, locally and in tests). Exceptions are thrown, never
 * swallowed: Lambda reports their class name and the workflow's Retry and Catch act on it.
 *
 * <p>Also each function's SnapStart runtime hook ({@link Priming}): a function's Lambda
 * constructor registers it with {@link #primeBeforeSnapshot}; Lambda then calls
 * {@link #beforeCheckpoint} once, before it takes the snapshot.
 */
public abstract class JsonHandler<I, O> implements RequestStreamHandler, Resource {
    private final Class<I> inputType;
    private Settings primingSettings;

    protected JsonHandler(Class<I> inputType) {
        this.inputType = inputType;
    }

    /** The function's work; input is already parsed and non-null. */
    public abstract O handle(I input);

    /**
     * The first invocation's path, run against twins of the function's clients (see
     * {@link Priming}): typically {@link #serveSamples} with a copy of the function built with
     * {@code twins}. Must stay read-only: the canned AWS answers reads only.
     */
    protected abstract void prime(Twins twins) throws IOException;

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

    /**
     * Called by each function's Lambda constructor: SnapStart runs the priming before its snapshot.
     * Only a SnapStart init is ever checkpointed, so only then is the hook registered: elsewhere
     * (on-demand, sam local) registering would add a few milliseconds to the cold start for nothing.
     */
    protected final void primeBeforeSnapshot(Settings settings) {
        this.primingSettings = settings;
        if ("snap-start".equals(System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE"))) {
            Core.getGlobalContext().register(this);
        }
    }

    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
        if (primingSettings != null) {
            Priming.beforeSnapshot(this, primingSettings);
        }
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> context) {
        // Nothing to reopen or refresh: priming used only its own twins, closed before the
        // snapshot, and the function's clients fetch their credentials when first used.
    }

    /** {@code twin} (this function with twin clients) serves each sample input of this function. */
    protected final void serveSamples(JsonHandler<I, O> twin, Twins twins) throws IOException {
        for (byte[] sample : Priming.samples(getClass(), twins)) {
            twin.handleRequest(new ByteArrayInputStream(sample), OutputStream.nullOutputStream(), null);
        }
    }

    /** The sample inputs of this function, parsed as an invocation's input is. */
    protected final List<I> samples(Twins twins) {
        List<I> inputs = new ArrayList<>();
        Priming.samples(getClass(), twins).forEach(sample -> inputs.add(parse(sample)));
        return inputs;
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
