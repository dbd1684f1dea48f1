package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import ssmreach.local.iam.DeployedStack;

/**
 * A standard security scan of the template as deployed: cdk-nag's AwsSolutions rules
 * ({@code local/nag/scan.mjs}: aws-cdk-lib's CfnInclude on the SAM-processed template, cdk-nag's
 * AwsSolutionsChecks) for every parameter combination that changes what is deployed, with the
 * acknowledgements the template carries. It fails on a finding that is neither fixed nor
 * acknowledged, on an acknowledgement that matches no finding in any combination (stale), and on
 * a malformed one.
 */
class TemplateSecurityScanTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCAN = "local/nag/scan.mjs";

    /**
     * Values for each parameter a Condition of the template reads: every combination is scanned.
     * ExistingProfile=attach-policy adds iam:AttachRolePolicy; a NotificationEmail adds the e-mail
     * subscription; RouteTriggers=false leaves the route rule out (and its source from the queue policy);
     * a SweepSchedule adds the schedule and its role.
     */
    private static final Map<String, List<String>> VARIED = Map.of(
            "ExistingProfile", List.of("report", "attach-policy"),
            "NotificationEmail", List.of("", "ops@example.com"),
            "RouteTriggers", List.of("true", "false"),
            "SweepSchedule", List.of("", "rate(1 day)"));

    @Test
    void everyParameterThatAConditionReadsIsVaried() {
        Set<String> read = new TreeSet<>();
        processed().path("Conditions").forEach(condition -> refs(condition, read));
        assertEquals(new TreeSet<>(VARIED.keySet()), read,
                "the parameters the template's Conditions read, each of which must be varied in the scan");
    }

    @Test
    void everyFindingIsFixedOrAcknowledgedAndNoAcknowledgementIsStale() {
        Path node = Repo.executable("node").orElseGet(() -> fail("node is not on the PATH: install Node.js 20 or newer"));
        if (!Files.isRegularFile(Repo.path("local/nag/node_modules/cdk-nag/package.json"))) {
            fail("cdk-nag is not installed: run 'npm ci' in local/nag (the Maven build does it on a fresh clone)");
        }
        List<String> combinations = combinations();
        JsonNode report = scan(node, combinations);

        assertEquals(combinations.size(), report.path("combinations").size(), () -> "combinations scanned: " + report);
        for (JsonNode combination : report.path("combinations")) {
            assertTrue(combination.path("total").asInt() > 50, () -> "the rule pack found what it finds on this template "
                    + "(IAM4, IAM5, L1): " + combination.path("parameters") + " gave " + combination.path("total"));
        }
        List<String> problems = new ArrayList<>();
        report.path("findings").forEach(f -> problems.add("unacknowledged: " + f.path("rule").asText() + " on "
                + f.path("resource").asText() + " (" + f.path("info").asText() + ")"));
        report.path("stale").forEach(s -> problems.add("stale acknowledgement (matches no finding in any combination): "
                + s.path("id").asText() + " on " + s.path("resource").asText() + " at " + s.path("where").asText()));
        report.path("invalid").forEach(i -> problems.add("invalid: " + i.asText()));
        assertTrue(problems.isEmpty(), () -> "fix the template, or acknowledge a finding with the reason why the grant is "
                + "the narrowest that works (README, Security scan):\n" + String.join("\n", problems));
    }

    /** Each combination of the varied values, as scan.mjs's {@code --set Name=Value,...}. */
    private static List<String> combinations() {
        List<String> combinations = new ArrayList<>(List.of(""));
        new TreeSet<>(VARIED.keySet()).forEach(name -> {
            List<String> extended = new ArrayList<>();
            for (String prefix : combinations) {
                for (String value : VARIED.get(name)) {
                    extended.add((prefix.isEmpty() ? "" : prefix + ",") + name + "=" + value);
                }
            }
            combinations.clear();
            combinations.addAll(extended);
        });
        return combinations;
    }

    private static JsonNode scan(Path node, List<String> combinations) {
        try {
            Path processed = Files.createTempFile("ssm-reach-processed", ".json");
            try {
                JSON.writeValue(processed.toFile(), processed());
                List<String> command = new ArrayList<>(List.of(node.toString(), Repo.path(SCAN).toString(), processed.toString()));
                combinations.forEach(c -> command.addAll(List.of("--set", c)));
                Repo.Run run = Repo.run(Repo.ROOT, Duration.ofMinutes(3), false, Map.of(), command);
                JsonNode report;
                try {
                    report = JSON.readTree(run.output());
                } catch (IOException e) {
                    Repo.Run again = Repo.run(Repo.ROOT, Duration.ofMinutes(3), true, Map.of(), command);
                    return fail(SCAN + " did not print a JSON report (exit " + again.exitCode() + "):\n" + again.output());
                }
                if (run.exitCode() != 0 && run.exitCode() != 1) {
                    fail(SCAN + " exited with " + run.exitCode() + ":\n" + run.output());
                }
                return report;
            } finally {
                Files.deleteIfExists(processed);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The template as SAM's transform makes it (the translator cfn-lint ships), what CloudFormation deploys. */
    private static JsonNode processed() {
        return DeployedStack.processed(Repo.path("template.yaml"));
    }

    private static void refs(JsonNode node, Set<String> found) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                if (field.getKey().equals("Ref") && field.getValue().isTextual() && !field.getValue().asText().startsWith("AWS::")) {
                    found.add(field.getValue().asText());
                } else {
                    refs(field.getValue(), found);
                }
            });
        } else if (node.isArray()) {
            node.forEach(element -> refs(element, found));
        }
    }
}
