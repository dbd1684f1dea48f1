package ssmreach.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Where the AWS SDK's log goes. The SDK logs through SLF4J, which slf4j-jdk14 hands to
 * java.util.logging; this handler, on the root logger, writes each record at WARN or above to
 * stdout as one JSON object a line, with the {@code timestamp} and {@code level} keys that Lambda's
 * JSON log format reads (so the function's ApplicationLogLevel filters them too). Below WARN
 * nothing is even formatted: the SDK's debug logging stays off.
 */
public final class JsonLogHandler extends Handler {
    private static final Formatter MESSAGES = new SimpleFormatter();
    private static boolean installed;

    private final Supplier<PrintStream> out;

    /** Writes to whatever {@code out} gives at each record (System.out may be replaced after start). */
    JsonLogHandler(Supplier<PrintStream> out) {
        this.out = out;
        setLevel(Level.WARNING);
    }

    /**
     * Makes this handler the only one of the root logger, at WARN, unless java.util.logging was
     * configured on purpose (its config file or class given as a system property). Idempotent.
     */
    public static synchronized void install() {
        if (installed || System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null) {
            return;
        }
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        root.addHandler(new JsonLogHandler(() -> System.out));
        root.setLevel(Level.WARNING);
        installed = true;
    }

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("timestamp", record.getInstant().toString());
        line.put("level", level(record.getLevel()));
        line.put("logger", record.getLoggerName());
        line.put("message", MESSAGES.formatMessage(record));
        Throwable thrown = record.getThrown();
        if (thrown != null) {
            line.put("errorType", thrown.getClass().getName());
            line.put("errorMessage", thrown.getMessage());
            Arrays.stream(thrown.getStackTrace()).map(StackTraceElement::toString).forEach(line.putArray("stackTrace")::add);
        }
        String text;
        try {
            text = Json.MAPPER.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            text = "{\"timestamp\":\"" + Instant.now() + "\",\"level\":\"ERROR\",\"message\":\"a log record could not be written\"}";
        }
        PrintStream stream = out.get();
        synchronized (stream) {
            stream.println(text);
        }
    }

    /** SLF4J's level names, which slf4j-jdk14 maps to these java.util.logging levels. */
    static String level(Level level) {
        int value = level.intValue();
        return value >= Level.SEVERE.intValue() ? "ERROR"
                : value >= Level.WARNING.intValue() ? "WARN"
                : value >= Level.INFO.intValue() ? "INFO"
                : value >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }

    @Override
    public void flush() {
        out.get().flush();
    }

    @Override
    public void close() {
        flush();
    }
}
