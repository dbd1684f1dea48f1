package ssmreach.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class JsonLogHandlerTest {
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final Logger logger = Logger.getAnonymousLogger();

    JsonLogHandlerTest() {
        PrintStream out = new PrintStream(written, true, StandardCharsets.UTF_8);
        logger.setUseParentHandlers(false);
        logger.setLevel(Level.ALL);
        logger.addHandler(new JsonLogHandler(() -> out));
    }

    private List<JsonNode> lines() throws Exception {
        List<JsonNode> lines = new java.util.ArrayList<>();
        for (String line : written.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                lines.add(Json.MAPPER.readTree(line));
            }
        }
        return lines;
    }

    @Test
    void aWarningIsOneJsonLineWithTheKeysLambdaReads() throws Exception {
        logger.log(Level.WARNING, "Retrieved value expiration is in the past ({0})", "2026-12-01T10:00:00Z");

        List<JsonNode> lines = lines();

        assertEquals(1, lines.size());
        JsonNode line = lines.getFirst();
        assertEquals("WARN", line.path("level").asText());
        assertEquals("Retrieved value expiration is in the past (2026-12-01T10:00:00Z)", line.path("message").asText());
        Instant.parse(line.path("timestamp").asText());
        assertFalse(line.has("errorType"));
    }

    @Test
    void anErrorCarriesItsExceptionAsFields() throws Exception {
        logger.log(Level.SEVERE, "Unable to execute HTTP request", new IllegalStateException("connection reset"));

        JsonNode line = lines().getFirst();

        assertEquals("ERROR", line.path("level").asText());
        assertEquals("java.lang.IllegalStateException", line.path("errorType").asText());
        assertEquals("connection reset", line.path("errorMessage").asText());
        assertTrue(line.path("stackTrace").get(0).asText().contains("JsonLogHandlerTest"), line.toString());
        assertEquals(1, written.toString(StandardCharsets.UTF_8).split("\n").length, "one line, the trace inside it");
    }

    @Test
    void belowWarnNothingIsWritten() throws Exception {
        logger.info("Creating an interceptor chain");
        logger.fine("Sending request");
        logger.finest("wire");

        assertEquals(List.of(), lines());
    }

    @Test
    void levelsAreNamedAsSlf4jNamesThem() {
        assertEquals("ERROR", JsonLogHandler.level(Level.SEVERE));
        assertEquals("WARN", JsonLogHandler.level(Level.WARNING));
        assertEquals("INFO", JsonLogHandler.level(Level.INFO));
        assertEquals("DEBUG", JsonLogHandler.level(Level.FINE));
        assertEquals("TRACE", JsonLogHandler.level(Level.FINEST));
    }
}
