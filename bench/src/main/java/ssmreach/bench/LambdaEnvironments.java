package ssmreach.bench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import ssmreach.core.Settings;
import ssmreach.local.LocalFunctions;

/**
 * The functions as Lambda scales them: an invocation is served by an idle execution environment of
 * its function, or by a new one, each built by the function's constructor with clients of its own,
 * and so with an {@code ApiPacer} of its own. {@link LocalFunctions#create(Settings, Function)}
 * alone gives one handler per function, whose pacer paces every invocation of the function
 * together: the same thing while VPCs run one at a time (a batch's), half the rate in AWS of two
 * VPCs side by side (a sweep's at its default concurrency).
 */
final class LambdaEnvironments {
    private final Settings settings;
    private final Function<String, LocalFunctions.Clients> clientsOf;
    /** Each function's n-th environment is the n-th set's handler. */
    private final List<Map<String, RequestStreamHandler>> sets = new ArrayList<>();
    private final Map<String, Deque<RequestStreamHandler>> idle = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> created = new ConcurrentHashMap<>();

    /** The functions of a stack deployed with {@code settings}, each of its clients as {@code clientsOf} gives them. */
    LambdaEnvironments(Settings settings, Function<String, LocalFunctions.Clients> clientsOf) {
        this.settings = settings;
        this.clientsOf = clientsOf;
    }

    /** What the Lambda Invoke server serves: every function, by name, over its environments. */
    Map<String, RequestStreamHandler> functions() {
        Map<String, RequestStreamHandler> functions = new LinkedHashMap<>();
        for (String name : set(0).keySet()) {
            idle.put(name, new ArrayDeque<>());
            created.put(name, new AtomicInteger());
            functions.put(name, (InputStream in, OutputStream out, Context context) -> invoke(name, in, out, context));
        }
        return functions;
    }

    /** How many environments each function has needed so far: its most invocations at once. */
    Map<String, Integer> environments() {
        Map<String, Integer> counts = new TreeMap<>();
        created.forEach((name, count) -> {
            if (count.get() > 0) {
                counts.put(name, count.get());
            }
        });
        return counts;
    }

    private void invoke(String name, InputStream in, OutputStream out, Context context) throws IOException {
        RequestStreamHandler environment = take(name);
        try {
            environment.handleRequest(in, out, context);
        } finally {
            Deque<RequestStreamHandler> free = idle.get(name);
            synchronized (free) {
                free.push(environment);
            }
        }
    }

    private RequestStreamHandler take(String name) {
        Deque<RequestStreamHandler> free = idle.get(name);
        synchronized (free) {
            if (!free.isEmpty()) {
                return free.pop();
            }
        }
        return set(created.get(name).getAndIncrement()).get(name);
    }

    private synchronized Map<String, RequestStreamHandler> set(int index) {
        while (sets.size() <= index) {
            sets.add(LocalFunctions.create(settings, clientsOf));
        }
        return sets.get(index);
    }
}
