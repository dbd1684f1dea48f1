package ssmreach.bench;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a cold Lambda environment does, in a fresh JVM: load the handler class, construct it with its
 * no-argument constructor (as the Java runtime does), and serve one invocation. Prints one line,
 * {@code OK <bytes>} or {@code ERR <exception>}, as soon as the response is written; the parent
 * measures from starting this JVM to reading that line. Deliberately tiny: it loads nothing the
 * handler would not.
 *
 * <p>Arguments: the handler class, the file holding the invocation's input.
 */
public final class ColdStartMain {
    private ColdStartMain() {}

    public static void main(String[] args) throws Exception {
        byte[] input = Files.readAllBytes(Path.of(args[1]));
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try {
            RequestStreamHandler handler = (RequestStreamHandler) Class.forName(args[0]).getDeclaredConstructor().newInstance();
            handler.handleRequest(new ByteArrayInputStream(input), output, null);
            System.out.println("OK " + output.size());
        } catch (Throwable e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
            System.out.println("ERR " + cause.getClass().getName() + ": " + String.valueOf(cause.getMessage()).replace('\n', ' '));
        }
        System.out.flush();
        System.exit(0);
    }
}
