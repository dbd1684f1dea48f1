package ssmreach.local.scenario;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The exceptions a {@code fail-next} action injects, made from their class name as the scenario
 * gives it (e.g. {@code ssmreach.core.RetryableAwsException}): the Lambda Invoke server reports
 * them exactly as a handler's own, so the definition's Retry and Catch see the same error name.
 */
final class Faults {
    private Faults() {}

    /** Fails at load time when the class cannot be injected. */
    static void check(Fields where, String className) {
        try {
            constructor(className);
        } catch (IllegalArgumentException e) {
            throw where.problem(e.getMessage());
        }
    }

    /**
     * A new exception of {@code className} per call: each failed invocation throws its own. With
     * several String parameters (e.g. an error code and a message), {@code message} is split at
     * ": " between them when it has that many parts, else each gets all of it.
     */
    static Supplier<RuntimeException> supplier(String className, String message) {
        Constructor<? extends RuntimeException> constructor = constructor(className);
        long strings = Arrays.stream(constructor.getParameterTypes()).filter(type -> type == String.class).count();
        String[] parts = message.split(": ", (int) strings);
        return () -> {
            Object[] arguments = new Object[constructor.getParameterCount()];
            int next = 0;
            for (int i = 0; i < arguments.length; i++) {
                if (constructor.getParameterTypes()[i] == String.class) {
                    // (code, message): "UnauthorizedOperation: not allowed" gives each its part
                    arguments[i] = parts.length == strings ? parts[next++] : message;
                }
            }
            try {
                return constructor.newInstance(arguments);
            } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot create " + className + ": " + e, e);
            }
        };
    }

    /**
     * The constructor taking only Strings (the message) and Throwables (left null), fewest
     * parameters first: (String), (String, Throwable), (String code, String message, Throwable), ...
     */
    private static Constructor<? extends RuntimeException> constructor(String className) {
        Class<?> type;
        try {
            type = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("no class " + className + " (give the fully qualified name, e.g. "
                    + "ssmreach.core.RetryableAwsException)");
        }
        if (!RuntimeException.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException(className + " is not a RuntimeException: a handler could not throw it");
        }
        @SuppressWarnings("unchecked")
        Class<? extends RuntimeException> exception = (Class<? extends RuntimeException>) type;
        Optional<Constructor<?>> usable = Arrays.stream(exception.getConstructors())
                .filter(c -> c.getParameterCount() > 0)
                .filter(c -> Arrays.stream(c.getParameterTypes()).allMatch(p -> p == String.class || p == Throwable.class))
                .filter(c -> c.getParameterTypes()[0] == String.class)
                .min(Comparator.comparingInt(Constructor::getParameterCount));
        @SuppressWarnings("unchecked")
        Constructor<? extends RuntimeException> constructor = (Constructor<? extends RuntimeException>) usable.orElseThrow(() ->
                new IllegalArgumentException(className + " has no public constructor taking a message"));
        return constructor;
    }
}
