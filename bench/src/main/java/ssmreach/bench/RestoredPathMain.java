package ssmreach.bench;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.crac.Resource;

/**
 * A local proxy of a SnapStart function's restored path, in a fresh JVM: the constructor (what the
 * snapshot holds), then, with {@code primed}, the function's {@code beforeCheckpoint} hook (what
 * Lambda runs before it takes the snapshot), then the first invocation (the one a restore serves)
 * and {@code warm} more (a warm environment), each on the same input against the local AWS. No
 * snapshot is taken or restored: the restore itself is Lambda's and cannot be measured here.
 *
 * <p>Prints one line, {@code OK {"constructMs":…,"primeMs":…,"firstMs":…,"warmMs":[…]}} or
 * {@code ERR <exception>}. Arguments: the handler class, the input file, {@code primed} or
 * {@code unprimed}, the number of warm invocations.
 */
public final class RestoredPathMain {
    private RestoredPathMain() {}

    public static void main(String[] args) throws Exception {
        byte[] input = Files.readAllBytes(Path.of(args[1]));
        boolean primed = args[2].equals("primed");
        int warm = Integer.parseInt(args[3]);
        try {
            long start = System.nanoTime();
            RequestStreamHandler handler = (RequestStreamHandler) Class.forName(args[0]).getDeclaredConstructor().newInstance();
            double construct = millisSince(start);
            double prime = 0;
            if (primed) {
                start = System.nanoTime();
                ((Resource) handler).beforeCheckpoint(null);
                prime = millisSince(start);
            }
            // With -Xlog:class+load on stdout, these marks bracket what the first invocation still loads.
            System.out.println("MARK first invocation");
            double first = invoke(handler, input);
            System.out.println("MARK first invocation done");
            List<String> warmMs = new ArrayList<>();
            for (int i = 0; i < warm; i++) {
                warmMs.add(format(invoke(handler, input)));
            }
            System.out.println("OK {\"constructMs\":" + format(construct) + ",\"primeMs\":" + format(prime)
                    + ",\"firstMs\":" + format(first) + ",\"warmMs\":[" + String.join(",", warmMs) + "]}");
        } catch (Throwable e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
            System.out.println("ERR " + cause.getClass().getName() + ": " + String.valueOf(cause.getMessage()).replace('\n', ' '));
        }
        System.out.flush();
        System.exit(0);
    }

    private static double invoke(RequestStreamHandler handler, byte[] input) throws Exception {
        long start = System.nanoTime();
        handler.handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null);
        return millisSince(start);
    }

    private static double millisSince(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    private static String format(double millis) {
        return String.format(Locale.ROOT, "%.2f", millis);
    }
}
