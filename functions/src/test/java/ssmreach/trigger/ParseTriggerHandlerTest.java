package ssmreach.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import ssmreach.contract.Target;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;

/**
 * The function as Lambda calls it: bytes in, bytes out. The handler holds no AWS client, so
 * "nothing else happens" on bad input means: it throws the named exception and writes nothing.
 * The Lambda context is never read by the handlers, so null stands in for it.
 */
class ParseTriggerHandlerTest {
    private final ParseTriggerHandler handler = new ParseTriggerHandler(TriggerParserTest.settings(Map.of()));
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private static InputStream body(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void createSubnetEventBecomesTheTargetDocument() throws IOException {
        byte[] event = Json.MAPPER.writeValueAsBytes(TriggerParserTest.event("create-subnet.json"));

        handler.handleRequest(new ByteArrayInputStream(event), out, null);

        Target target = Json.MAPPER.readValue(out.toByteArray(), Target.class);
        assertEquals(new Target("CreateSubnet", "vpc-0a1b2c3d4e5f60718", List.of("subnet-0123456789abcdef0"), false, null), target);
        assertTrue(!out.toString(StandardCharsets.UTF_8).contains("\"ignored\""), "absent ignored is omitted, so the workflow's IsPresent test works");
    }

    @Test
    void failedCallWritesIgnored() throws IOException {
        byte[] event = Json.MAPPER.writeValueAsBytes(TriggerParserTest.event("create-subnet-failed.json"));

        handler.handleRequest(new ByteArrayInputStream(event), out, null);

        Target target = Json.MAPPER.readValue(out.toByteArray(), Target.class);
        assertTrue(target.ignored() != null && target.subnetIds().isEmpty(), target.toString());
    }

    @Test
    void manualDryRunRoundTrips() throws IOException {
        handler.handleRequest(body("{\"vpcId\": \"vpc-0a1b2c3d4e5f60718\", \"dryRun\": true}"), out, null);

        Target target = Json.MAPPER.readValue(out.toByteArray(), Target.class);
        assertEquals(new Target("manual", "vpc-0a1b2c3d4e5f60718", List.of(), true, null), target);
    }

    @ParameterizedTest(name = "body [{0}]")
    @ValueSource(strings = {"", "   ", "null", "{", "{\"subnetId\": ", "[]", "\"subnet-0123456789abcdef0\"", "{} {}x",
            "{\"subnetId\": \"subnet-0123456789abcdef0\", \"subnetId\": 3}"})
    void malformedBodyFailsAsInvalidInputAndWritesNothing(String text) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> handler.handleRequest(body(text), out, null));

        assertSame(InvalidInputException.class, e.getClass());
        assertEquals(0, out.size());
    }

    @Test
    void hugeGarbageBodyGivesABoundedMessage() {
        String text = "nul" + "x".repeat(10_240) + "\u0001";

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> handler.handleRequest(body(text), out, null));

        assertTrue(e.getMessage().length() <= 600, "message of " + e.getMessage().length() + " chars");
        assertEquals(0, out.size());
    }

    @Test
    void unsupportedEventKeepsItsNameThroughTheHandler() throws IOException {
        byte[] event = Json.MAPPER.writeValueAsBytes(TriggerParserTest.createSubnet(e -> e.put("detail-type", "Scheduled Event")));

        assertThrows(UnsupportedEventException.class, () -> handler.handleRequest(new ByteArrayInputStream(event), out, null));
        assertEquals(0, out.size());
    }

    @Test
    void foreignEventKeepsItsNameThroughTheHandler() throws IOException {
        byte[] event = Json.MAPPER.writeValueAsBytes(TriggerParserTest.createSubnet(e -> e.put("region", "us-west-2")));

        assertThrows(ForeignResourceException.class, () -> handler.handleRequest(new ByteArrayInputStream(event), out, null));
        assertEquals(0, out.size());
    }
}
