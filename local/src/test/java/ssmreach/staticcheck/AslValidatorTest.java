package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state machine definition, with its placeholders substituted the way CloudFormation would,
 * passes asl-validator (schema, ARNs, JSONPath, transition targets, reachability). The validator
 * rejects placeholders in typed fields, hence the substitution. A broken definition is rejected,
 * so this check can fail.
 */
class AslValidatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ASL_FOLDER = "local/asl";

    private static Path node;
    private static Path validator;

    @TempDir
    Path temp;

    @BeforeAll
    static void findTools() throws IOException {
        node = Repo.executable("node").orElseGet(() -> fail("node is not on the PATH; install Node.js to run this check"));
        Path module = Repo.path(ASL_FOLDER + "/node_modules/asl-validator");
        if (!Files.isRegularFile(module.resolve("package.json"))) {
            fail("asl-validator is not installed: run `npm ci --prefix " + ASL_FOLDER + "`");
        }
        JsonNode bin = JSON.readTree(module.resolve("package.json").toFile()).path("bin");
        String script = bin.isTextual() ? bin.asText() : bin.path("asl-validator").asText();
        validator = module.resolve(script).normalize();
        assertTrue(Files.isRegularFile(validator), () -> "asl-validator's bin " + validator + " does not exist");
    }

    /** The value CloudFormation would put in place of each placeholder. */
    static String substituted() {
        Map<String, String> substitutions = DefinitionSubstitutionsTest.substitutions();
        JsonNode parameters = Repo.template().path("Parameters");
        Matcher matcher = DefinitionSubstitutionsTest.PLACEHOLDER.matcher(Repo.read(DefinitionSubstitutionsTest.definitionUri()));
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            String key = matcher.group(1);
            String value = substitutions.get(key);
            String replacement;
            if (value == null) {
                replacement = matcher.group(); // left for the validator to reject; the substitution test names it
            } else if (value.endsWith(".Alias")) {
                String function = value.substring(0, value.length() - ".Alias".length());
                replacement = "arn:aws:lambda:us-east-1:123456789012:function:ssm-reach-" + function + "-AbCdEf123456:live";
            } else {
                JsonNode parameter = parameters.path(value);
                replacement = parameter.path("Default").asText();
                assertTrue(!replacement.isEmpty(), () -> "parameter " + value + " (for ${" + key + "}) has no Default");
            }
            matcher.appendReplacement(result, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(result);
        return result.toString();
    }

    private Repo.Run validate(String definition) throws IOException {
        Path file = temp.resolve("workflow.asl.json");
        Files.writeString(file, definition);
        return Repo.run(Duration.ofMinutes(1), List.of(node.toString(), validator.toString(), "--json-path", file.toString()));
    }

    @Test
    void theSubstitutedDefinitionIsValid() throws IOException {
        String definition = substituted();
        JSON.readTree(definition); // valid JSON once substituted

        Repo.Run run = validate(definition);

        assertEquals(0, run.exitCode(), () -> "asl-validator rejected the definition:\n" + run.output());
    }

    /**
     * The local interpreter evaluates {@code "IsPresent": false} as false on a path that is missing,
     * where Step Functions says true: a Choice written so would take another branch locally than in
     * AWS. {@code "Not": {"IsPresent": true}} means the same and both evaluate it alike.
     */
    @Test
    void noChoiceAsksIsPresentFalse() throws IOException {
        List<String> found = new java.util.ArrayList<>();
        JSON.readTree(substituted()).findParents("IsPresent").forEach(rule -> {
            if (!rule.path("IsPresent").asBoolean()) {
                found.add(rule.toString());
            }
        });
        assertEquals(List.of(), found, "use {\"Not\": {\"Variable\": ..., \"IsPresent\": true}}");
    }

    /**
     * A Task without TimeoutSeconds waits without end in Step Functions ("the Amazon States Language
     * doesn't specify timeouts"), where the local interpreter fails it after 60 seconds, the States
     * Language specification's default: a VPC's execution that runs longer would end as a timeout
     * locally and go on in AWS. Every Task says how long it may take, and both run it alike.
     */
    @Test
    void everyTaskSaysHowLongItMayTake() throws IOException {
        List<String> without = new java.util.ArrayList<>();
        JSON.readTree(substituted()).findParents("Type").forEach(state -> {
            if ("Task".equals(state.path("Type").asText()) && !state.has("TimeoutSeconds") && !state.has("TimeoutSecondsPath")) {
                without.add(state.path("Resource").asText());
            }
        });
        assertEquals(List.of(), without, "Tasks without TimeoutSeconds");
    }

    @Test
    void aTransitionToAMissingStateIsRejected() throws IOException {
        ObjectNode definition = (ObjectNode) JSON.readTree(substituted());
        ObjectNode first = (ObjectNode) definition.path("States").path(definition.path("StartAt").asText());
        first.remove("End");
        first.put("Next", "NoSuchState");

        Repo.Run run = validate(JSON.writeValueAsString(definition));

        assertNotEquals(0, run.exitCode(), () -> "asl-validator accepted a dangling Next:\n" + run.output());
        assertTrue(run.output().contains("NoSuchState"), () -> "the validator did not name the missing state:\n" + run.output());
    }
}
