package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The README's StackSets recipe ("Many accounts and Regions"), as far as it runs without the SAM
 * CLI and an account: its {@code BUCKET=} and {@code deploy/process_template.py} lines, run as
 * written on templates shaped as {@code sam package} writes them ({@link SamPackage}) for two
 * Regions, give a template a service-managed stack set can deploy in that Region — no transform,
 * clean under cfn-lint, only that Region's artifacts, every parameter still in use — and the
 * {@code create-stack-set} command acknowledges exactly the capabilities it needs and passes
 * parameters it has.
 */
class StackSetTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> IAM_TYPES = Set.of("AWS::IAM::Role", "AWS::IAM::InstanceProfile", "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::AccessKey",
            "AWS::IAM::UserToGroupAddition");
    private static final Set<String> IAM_NAMES = Set.of("RoleName", "InstanceProfileName", "ManagedPolicyName", "UserName",
            "GroupName");
    private static final Pattern SUB_REFERENCE = Pattern.compile("\\$\\{([A-Za-z0-9:]+)}");

    private static Recipe recipe;

    /** The README's loop, its continuation lines joined: the commands the tests run or compare with. */
    record Recipe(String bucketLine, String packageLine, String processLine, String createStackSetLine) {}

    @BeforeAll
    static void readRecipe() {
        String readme = Repo.read("README.md");
        int start = readme.indexOf("\n## Many accounts and Regions\n");
        assertTrue(start >= 0, "README has a section \"Many accounts and Regions\"");
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Matcher block = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(section);
        assertTrue(block.find(), "the section has a sh block");
        List<String> lines = List.of(block.group(1).replace("\\\n", " ").split("\n"));
        recipe = new Recipe(line(lines, "BUCKET="), line(lines, "sam package "), line(lines, "python3 deploy/process_template.py "),
                line(lines, "aws cloudformation create-stack-set "));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"us-east-1", "eu-west-1"})
    void theProcessedTemplateIsOneAStackSetDeploysInItsRegion(String region, @TempDir Path dir) throws IOException {
        String bucket = bucket(region);
        String otherBucket = bucket(region.equals("us-east-1") ? "eu-west-1" : "us-east-1");
        Files.writeString(dir.resolve("packaged-" + region + ".yaml"),
                SamPackage.packaged(Repo.path("template.yaml"), bucket, "ssm-reach"));

        Repo.Run process = process(dir, region);

        assertEquals(0, process.exitCode(), () -> "the README's processing line failed:\n" + process.output());
        Path output = dir.resolve("processed-" + region + ".json");
        JsonNode processed = JSON.readTree(output.toFile());
        assertFalse(processed.has("Transform"), "no transform is left: a service-managed stack set runs none");
        assertFalse(processed.has("Globals"), "no SAM section is left");
        List<String> samResources = resourcesOfType(processed, type -> type.startsWith("AWS::Serverless::"));
        assertEquals(List.of(), samResources, "every SAM resource is translated");

        Map<String, String> artifactBuckets = new HashMap<>();
        processed.path("Resources").fields().forEachRemaining(e -> {
            JsonNode properties = e.getValue().path("Properties");
            switch (e.getValue().path("Type").asText()) {
                case "AWS::Lambda::Function" -> {
                    assertEquals(Set.of("S3Bucket", "S3Key"), Set.copyOf(Repo.fieldNames(properties.path("Code"))),
                            e.getKey() + "'s code is an S3 object");
                    assertEquals("ssm-reach/" + SamPackage.CODE_KEY_MD5, properties.path("Code").path("S3Key").asText(),
                            e.getKey() + "'s code is the packaged object, not a placeholder");
                    artifactBuckets.put(e.getKey(), properties.path("Code").path("S3Bucket").asText());
                }
                case "AWS::StepFunctions::StateMachine" -> {
                    assertEquals("ssm-reach/" + SamPackage.DEFINITION_KEY_MD5,
                            properties.path("DefinitionS3Location").path("Key").asText(), "the packaged definition");
                    artifactBuckets.put(e.getKey(), properties.path("DefinitionS3Location").path("Bucket").asText());
                }
                default -> { }
            }
        });
        assertEquals(Repo.functions().size() + 1, artifactBuckets.size(),
                "every function of template.yaml and the state machine: " + artifactBuckets.keySet());
        assertEquals(Set.of(bucket), Set.copyOf(artifactBuckets.values()), "every artifact is in " + region + "'s bucket");
        String text = Files.readString(output);
        assertFalse(text.contains(otherBucket), "the other Region's bucket appears nowhere");
        assertFalse(text.contains("s3://"), "no S3 URI is left untranslated (nor cfn-lint's placeholder s3://bucket/value)");

        Path cfnLint = Repo.executable("cfn-lint", Repo.home().resolve(".pyenv/shims"))
                .orElseGet(() -> fail("cfn-lint is not on the PATH nor in ~/.pyenv/shims; install it (pip install cfn-lint)"));
        Repo.Run lint = Repo.run(dir, Duration.ofMinutes(3), true, Map.of(),
                List.of(cfnLint.toString(), "--regions", region, "--", output.toString()));
        assertEquals(0, lint.exitCode(), () -> "cfn-lint on the processed template (2 errors, 4 warnings, 8 info):\n" + lint.output());
        assertTrue(lint.output().isBlank(), () -> "cfn-lint printed findings:\n" + lint.output());

        Set<String> used = referencedNames(processed);
        List<String> unused = Repo.fieldNames(processed.path("Parameters")).stream().filter(p -> !used.contains(p)).toList();
        assertEquals(List.of(), unused, "every parameter is still used, so a stack set's value takes effect "
                + "(the translator did not fold in a default)");

        assertEquals(requiredCapabilities(processed), Set.copyOf(option(recipe.createStackSetLine(), "--capabilities")),
                "create-stack-set acknowledges exactly what the processed template needs");
        stackSetParameters().forEach((key, value) -> {
            JsonNode parameter = processed.path("Parameters").path(key);
            assertFalse(parameter.isMissingNode(), "create-stack-set passes " + key + ", a parameter of the template");
            if (parameter.has("AllowedValues")) {
                assertTrue(Repo.strings(parameter.path("AllowedValues")).contains(value), key + "=" + value + " is allowed");
            }
            if (parameter.has("AllowedPattern")) {
                assertTrue(value.matches(parameter.path("AllowedPattern").asText()), key + "=" + value + " fits its pattern");
            }
        });
    }

    @Test
    void aTemplatePackagedIntoAnotherRegionsBucketIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("packaged-eu-west-1.yaml"),
                SamPackage.packaged(Repo.path("template.yaml"), bucket("us-east-1"), "ssm-reach"));

        Repo.Run process = process(dir, "eu-west-1");

        assertEquals(2, process.exitCode(), process.output());
        assertTrue(process.output().contains("is in bucket " + bucket("us-east-1") + ", not in " + bucket("eu-west-1")),
                process.output());
        assertFalse(Files.exists(dir.resolve("processed-eu-west-1.json")), "nothing is written");
    }

    @Test
    void aTemplateWithLocalArtifactsIsRefused(@TempDir Path dir) throws IOException {
        Files.copy(Repo.path("template.yaml"), dir.resolve("packaged-eu-west-1.yaml"));

        Repo.Run process = process(dir, "eu-west-1");

        assertEquals(2, process.exitCode(), process.output());
        assertTrue(process.output().contains("CodeUri \"functions/\" is not in S3; run `sam build` and `sam package` first"),
                process.output());
        assertFalse(Files.exists(dir.resolve("processed-eu-west-1.json")), "nothing is written");
    }

    @Test
    void theRecipePackagesEachRegionIntoItsOwnBucket() {
        String packageLine = recipe.packageLine();
        assertTrue(packageLine.contains("--region \"$REGION\"") && packageLine.contains("--s3-bucket \"$BUCKET\""),
                "sam package uploads into the Region's bucket: " + packageLine);
        assertFalse(packageLine.contains("--resolve-s3"), "not SAM's managed bucket, which other accounts cannot read");
        assertEquals(option(packageLine, "--output-template-file"),
                List.of(recipe.processLine().substring(recipe.processLine().lastIndexOf(' ') + 1)),
                "the processing reads what sam package wrote");
        assertEquals(List.of("\"$BUCKET\""), option(recipe.processLine(), "--bucket"), "and checks it against the same bucket");
        assertEquals(List.of("SERVICE_MANAGED"), option(recipe.createStackSetLine(), "--permission-model"));
        assertTrue(recipe.createStackSetLine().contains("--template-url "),
                "the processed template is larger than --template-body takes (51,200 bytes)");
    }

    /** Runs the README's BUCKET= and processing lines with REGION set, in {@code dir} (with a copy of deploy/). */
    private static Repo.Run process(Path dir, String region) throws IOException {
        Path script = dir.resolve("deploy/process_template.py");
        Files.createDirectories(script.getParent());
        Files.copy(Repo.path("deploy/process_template.py"), script, StandardCopyOption.REPLACE_EXISTING);
        return Repo.run(dir, Duration.ofMinutes(2), true, shellEnvironment(region),
                List.of("bash", "-euc", recipe.bucketLine() + "\n" + recipe.processLine()));
    }

    /** The bucket the README's BUCKET= line names for a Region. */
    private static String bucket(String region) {
        Repo.Run echo = Repo.run(Repo.ROOT, Duration.ofSeconds(10), true, shellEnvironment(region),
                List.of("bash", "-euc", recipe.bucketLine() + "\nprintf %s \"$BUCKET\""));
        assertEquals(0, echo.exitCode(), echo.output());
        return echo.output();
    }

    /** REGION set, and python3 the one that has cfn-lint (pyenv's, as the README's prerequisites install it). */
    private static Map<String, String> shellEnvironment(String region) {
        String path = Repo.home().resolve(".pyenv/shims") + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return Map.of("REGION", region, "PATH", path);
    }

    private static String line(List<String> lines, String start) {
        List<String> found = lines.stream().map(String::strip).filter(l -> l.startsWith(start)).toList();
        assertEquals(1, found.size(), () -> "one line of the README's loop starts with \"" + start + "\": " + found);
        return found.get(0);
    }

    /** The values that follow an option, up to the next option: {@code --capabilities A B --x} → [A, B]. */
    private static List<String> option(String line, String name) {
        List<String> words = List.of(line.split("\\s+"));
        int at = words.indexOf(name);
        assertTrue(at >= 0, () -> name + " in: " + line);
        List<String> values = new ArrayList<>();
        for (int i = at + 1; i < words.size() && !words.get(i).startsWith("--"); i++) {
            values.add(words.get(i));
        }
        return values;
    }

    private static Map<String, String> stackSetParameters() {
        Map<String, String> parameters = new HashMap<>();
        for (String value : option(recipe.createStackSetLine(), "--parameters")) {
            Matcher m = Pattern.compile("ParameterKey=([^,]+),ParameterValue=(.*)").matcher(value);
            assertTrue(m.matches(), "a parameter in shorthand syntax: " + value);
            parameters.put(m.group(1), m.group(2));
        }
        assertFalse(parameters.isEmpty(), "create-stack-set passes parameters");
        return parameters;
    }

    /** CAPABILITY_IAM for IAM resources, CAPABILITY_NAMED_IAM if one has a custom name, CAPABILITY_AUTO_EXPAND for macros. */
    private static Set<String> requiredCapabilities(JsonNode template) {
        Set<String> needed = new TreeSet<>();
        template.path("Resources").forEach(resource -> {
            if (IAM_TYPES.contains(resource.path("Type").asText())) {
                boolean named = IAM_NAMES.stream().anyMatch(resource.path("Properties")::has);
                needed.add(named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM");
            }
        });
        if (template.has("Transform") || template.toString().contains("\"Fn::Transform\"")) {
            needed.add("CAPABILITY_AUTO_EXPAND");
        }
        return needed;
    }

    /** Every name used by a {@code Ref} or inside an {@code Fn::Sub} string, anywhere in the template. */
    private static Set<String> referencedNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        collect(node, names);
        return names;
    }

    private static void collect(JsonNode node, Set<String> names) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("Ref") && field.getValue().isTextual()) {
                    names.add(field.getValue().asText());
                } else if (field.getKey().equals("Fn::Sub")) {
                    JsonNode text = field.getValue().isArray() ? field.getValue().path(0) : field.getValue();
                    SUB_REFERENCE.matcher(text.asText()).results().forEach(r -> names.add(r.group(1)));
                }
                collect(field.getValue(), names);
            }
        } else if (node.isArray()) {
            node.forEach(child -> collect(child, names));
        }
    }

    private static List<String> resourcesOfType(JsonNode template, Predicate<String> type) {
        return Repo.fieldNames(template.path("Resources")).stream()
                .filter(id -> type.test(template.path("Resources").path(id).path("Type").asText()))
                .collect(Collectors.toList());
    }
}
