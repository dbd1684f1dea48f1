package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import ssmreach.contract.Result;
import ssmreach.core.Json;
import ssmreach.core.Settings;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.SampleEvents;
import ssmreach.local.World;
import ssmreach.result.Metrics;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.testing.RuntimeApiFunction;

/**
 * The deployment package as {@code sam build} makes it, and every function started from it as
 * Lambda starts a SnapStart version: a copy of functions/ built with the system {@code mvn}
 * ({@code package}, where sam build runs {@code install}: the same package, nothing written to
 * the local Maven repository), then {@code mvn dependency:copy-dependencies -DincludeScope=runtime
 * -Dmdep.prependGroupId=true}; the package is {@code target/classes} and {@code target/dependency}.
 *
 * <p>It must hold each dependency once, the AWS SDK service jars cut, and stay within 40 MB
 * zipped. Then each function of template.yaml runs under Lambda's own Java runtime client on
 * nothing but that package (SnapStart init: constructor, the priming hook, restore; credentials
 * from the container endpoint, signed as its role), and the real workflow remediates a subnet with
 * an instance, registers it and diagnoses it, and a trigger queue's batch with a second instance's
 * {@code running} event is remediated, through them: every function serves at least once,
 * so every AWS operation on those paths found its classes in the cut jars. Report's log, in the
 * JSON log format, holds each result's metrics in the embedded metric format.
 */
@ExtendWith(LocalAwsExtension.class)
class ShippedPackageIT {
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(8);
    private static final long MAX_ZIPPED_BYTES = 40_000_000L;
    private static final Pattern HANDLER = Pattern.compile("([\\w.]+)::handleRequest");
    private static final Set<String> SERVICE_JARS = Set.of("ec2", "eventbridge", "iam", "sfn", "sns", "ssm");
    private static final String STACK_NAME = "ssm-reach-shipped";

    @Test
    void everyFunctionStartsFromTheShippedPackageAndServesTheWorkflow(LocalAws aws, @TempDir Path scratch) throws Exception {
        Optional<Path> mvn = Repo.executable("mvn");
        assumeTrue(mvn.isPresent(), "sam build runs the system mvn; none on the PATH here");
        Path copy = SamBuildIT.copyLikeSamBuild(Repo.path("functions"), scratch.resolve("functions"));
        Map<String, String> build = Map.of("JAVA_HOME", System.getProperty("java.home"));
        Repo.Run packaged = Repo.run(copy, BUILD_TIMEOUT, true, build, List.of(mvn.get().toString(), "-B", "clean", "package",
                "-Dmaven.test.skip=true"));
        assertEquals(0, packaged.exitCode(), packaged.output());
        Repo.Run copied = Repo.run(copy, BUILD_TIMEOUT, true, build, List.of(mvn.get().toString(), "-B",
                "dependency:copy-dependencies", "-DincludeScope=runtime", "-Dmdep.prependGroupId=true"));
        assertEquals(0, copied.exitCode(), copied.output());

        Path classes = copy.resolve("target/classes");
        List<Path> lib;
        try (Stream<Path> jars = Files.list(copy.resolve("target/dependency"))) {
            lib = jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        assertPackageHoldsEachDependencyOnceWithTheServiceJarsCut(lib);
        long zipped = zip(classes, lib, scratch.resolve("package.zip"));
        assertTrue(zipped <= MAX_ZIPPED_BYTES, "the package is " + zipped + " bytes zipped; at most " + MAX_ZIPPED_BYTES);

        LocalFunctions.createInstanceProfile(aws.inspectIam());
        String topic = aws.inspectSns().createTopic(r -> r.name("ssm-reach-results")).topicArn();
        Map<String, String> stack = Map.of("RESULT_TOPIC_ARN", topic, "STACK_NAME", STACK_NAME);
        Settings settings = LocalFunctions.settings(stack);
        var deployed = aws.deploy(settings);
        Path jni = runtimeClientLibrary(scratch);
        Map<String, RuntimeApiFunction> functions = new LinkedHashMap<>();
        try {
            for (var function : Repo.functions().entrySet()) {
                Matcher handler = HANDLER.matcher(function.getValue().path("Properties").path("Handler").asText());
                assertTrue(handler.matches(), function.getKey() + " has a handler");
                String name = function.getKey().replaceFirst("Function$", "");
                var keys = deployed.apply(function.getKey()).ec2().serviceClientConfiguration().credentialsProvider()
                        .resolveIdentity().join();
                functions.put(name, new RuntimeApiFunction(name, handler.group(0), command(classes, lib, jni),
                        environment(function.getKey(), aws, settings, stack, scratch), new String[] {keys.accessKeyId(),
                        keys.secretAccessKey()}, scratch.resolve(name + ".log")));
            }
            for (RuntimeApiFunction function : functions.values()) {
                assertTrue(function.awaitRestore(180), function.name() + " did not get to the restore: " + report(function));
                assertEquals(List.of(), function.runtimeErrors(), function.name() + " init or hooks failed: " + report(function));
                assertFalse(function.fetchedCredentialsBeforeRestore(),
                        function.name() + " fetched credentials before the snapshot (the priming must not)");
            }

            Map<String, String> failures = new ConcurrentHashMap<>();
            Set<String> served = new TreeSet<>();
            JsonNode remediated;
            try (LocalWorkflow workflow = new LocalWorkflow(new HashMap<String, RequestStreamHandler>(functions), aws.executions())) {
                workflow.lambda().onInvocation(invocation -> {
                    synchronized (served) {
                        served.add(invocation.functionName());
                    }
                    if (invocation.failed()) {
                        failures.put(invocation.functionName(), invocation.errorType() + ": " + invocation.errorMessage());
                    }
                });
                World world = new World(aws.inspectEc2());
                String vpc = world.vpc("10.0.0.0/16");
                String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
                String instance = world.instance(subnet, null);

                Execution remediation = workflow.execute("{\"subnetId\": \"" + subnet + "\"}");
                Execution diagnosis = workflow.execute("{\"instanceId\": \"" + instance + "\", \"diagnose\": true}");

                assertTrue(remediation.succeeded(), remediation.toString());
                assertEquals("remediated", remediation.output().path("outcome").asText(), remediation.output().toString());
                JsonNode registered = remediation.output().path("instances").path(0);
                assertEquals(instance, registered.path("instanceId").asText(), remediation.output().toString());
                assertEquals("Online", registered.path("registration").asText(), remediation.output().toString());
                assertTrue(diagnosis.succeeded(), diagnosis.toString());

                // The trigger queue's path (GroupTargets, TakeTurn, the VPC's own executions), as the pipe starts it.
                String second = world.instance(subnet, null);
                Execution batch = workflow.execute("[{\"messageId\": \"m-1\", \"eventSource\": \"aws:sqs\", \"body\": "
                        + new ObjectMapper().writeValueAsString(SampleEvents.running(second)) + "}]");
                assertTrue(batch.succeeded(), batch.toString());
                assertFalse(batch.children().isEmpty(), "the batch started its VPC's execution: " + batch);
                batch.children().values().forEach(child -> assertTrue(child.succeeded(), child.toString()));
                remediated = remediation.output();
                assertEquals(1, aws.inspectEc2().describeIamInstanceProfileAssociations(r -> r.filters(f -> f.name("instance-id")
                        .values(second))).iamInstanceProfileAssociations().size(), "the batch's instance got its profile");
            }
            assertEquals(Map.of(), failures, "no function failed");
            assertEquals(new TreeSet<>(functions.keySet()), served, "every function served from the package");
            assertReportLoggedTheMetricsOf(remediated, functions.get("Report").log());
        } finally {
            for (RuntimeApiFunction function : functions.values()) {
                function.close();
            }
        }
    }

    /**
     * Report's log, as the JSON log format leaves it, holds after each result document that
     * result's metrics as Metrics writes them: embedded metric format documents, each one whole
     * line of JSON (MetricsTest checks those against the specification), nothing wrapped around
     * them. The remediation's say what it did.
     */
    private static void assertReportLoggedTheMetricsOf(JsonNode remediation, Path log) throws IOException {
        List<JsonNode> results = new ArrayList<>();
        List<JsonNode> logged = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            JsonNode record = line.startsWith("{") ? Json.MAPPER.readTree(line) : null;
            if (record != null && record.has("_aws")) {
                logged.add(record);
            } else if (record != null && record.has("outcome") && record.has("evaluatedAt")) {
                results.add(record);
            }
        }
        assertTrue(results.size() >= 3, "Report published the remediation, the diagnosis and the batch's VPC: " + results);
        assertEquals(remediation.path("evaluatedAt"), results.getFirst().path("evaluatedAt"),
                "the remediation's result is the first Report logged: " + results.getFirst());
        List<JsonNode> expected = new ArrayList<>();
        for (JsonNode result : results) {
            for (String document : Metrics.documents(Json.MAPPER.treeToValue(result, Result.class), STACK_NAME)) {
                expected.add(Json.MAPPER.readTree(document));
            }
        }
        assertEquals(expected, logged, "Report's log holds the metrics of each result, once, in order");

        JsonNode metrics = logged.getFirst();
        assertEquals("remediated", metrics.path(Metrics.OUTCOME).asText(), metrics.toString());
        assertEquals(STACK_NAME, metrics.path(Metrics.STACK).asText(), metrics.toString());
        assertEquals(1, metrics.path(Metrics.REMEDIATIONS).asInt(), metrics.toString());
        assertTrue(metrics.path(Metrics.ENDPOINT_ZONES_ADDED).asInt() > 0, metrics.toString());
        assertEquals(remediation.path("endpointZonesAdded").asInt(), metrics.path(Metrics.ENDPOINT_ZONES_ADDED).asInt());
        assertEquals(List.of(remediation.path("instances").path(0).path("secondsToOnline").asLong()),
                List.of(metrics.path(Metrics.TIME_TO_ONLINE).path(0).asLong()), metrics.toString());
        assertEquals(1, metrics.path(Metrics.TIME_TO_ONLINE).size(), metrics.toString());
    }

    /** One jar per artifact; the five service jars present, cut (smaller than Maven's), none whole. */
    private static void assertPackageHoldsEachDependencyOnceWithTheServiceJarsCut(List<Path> lib) throws Exception {
        List<String> names = lib.stream().map(p -> p.getFileName().toString()).toList();
        List<String> artifacts = names.stream().map(n -> n.replaceFirst("-\\d[\\w.]*\\.jar$", "")).toList();
        assertEquals(artifacts.size(), new TreeSet<>(artifacts).size(), "each dependency once: " + names);
        for (String service : SERVICE_JARS) {
            Path cut = lib.stream().filter(p -> p.getFileName().toString().startsWith("software.amazon.awssdk." + service + "-"))
                    .findFirst().orElseThrow(() -> new AssertionError("no " + service + " jar in " + names));
            Path whole = Path.of(Class.forName(serviceClient(service)).getProtectionDomain().getCodeSource().getLocation().getPath());
            assertTrue(Files.size(cut) < Files.size(whole), cut + " is cut (" + Files.size(cut) + " < " + Files.size(whole) + " bytes)");
        }
    }

    private static String serviceClient(String service) {
        return switch (service) {
            case "ec2" -> "software.amazon.awssdk.services.ec2.Ec2Client";
            case "eventbridge" -> "software.amazon.awssdk.services.eventbridge.EventBridgeClient";
            case "iam" -> "software.amazon.awssdk.services.iam.IamClient";
            case "sns" -> "software.amazon.awssdk.services.sns.SnsClient";
            default -> "software.amazon.awssdk.services.ssm.SsmClient";
        };
    }

    /**
     * java as Lambda's java21 runtime starts it: its own jars (the runtime client) first, then the
     * task (the package's root and lib/), the CRaC hooks handed to the runtime client, its native
     * library given by path, and the template's JAVA_TOOL_OPTIONS (in the environment).
     */
    private static List<String> command(Path classes, List<Path> lib, Path jni) {
        List<String> runtime = runtimeJars();
        List<String> classpath = new ArrayList<>(runtime);
        classpath.add(classes.toString());
        lib.forEach(jar -> classpath.add(jar.toString()));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (Runtime.version().feature() >= 24) {
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac",
                "-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=" + jni,
                "-cp", String.join(File.pathSeparator, classpath)));
        return command;
    }

    private static List<String> runtimeJars() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> entry.contains("aws-lambda-java-runtime-interface-client") || entry.contains("aws-lambda-java-serialization"))
                .toList();
    }

    /**
     * The runtime client's native library, unpacked once, as Lambda's runtime has it on disk: left
     * to itself, each runtime client unpacks it to one fixed path in /tmp, which ten starting at
     * once overwrite under each other's feet.
     */
    private static Path runtimeClientLibrary(Path scratch) throws IOException {
        String arch = System.getProperty("os.arch").equals("aarch64") ? "aarch_64" : "x86_64";
        String jar = runtimeJars().stream().filter(entry -> entry.contains("runtime-interface-client")).findFirst()
                .orElseThrow(() -> new AssertionError("Lambda's runtime interface client is not on the test class path"));
        Path library = scratch.resolve("libaws-lambda-jni.so");
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar);
             var in = file.getInputStream(file.getEntry("jni/libaws-lambda-jni.linux-" + arch + ".so"))) {
            Files.copy(in, library);
        }
        return library;
    }

    /** What Lambda sets for a SnapStart version of the function, plus the stack's variables; AWS is the local one. */
    private static Map<String, String> environment(String logicalId, LocalAws aws, Settings settings, Map<String, String> stack, Path home) {
        Map<String, String> environment = new HashMap<>(stack);
        environment.put("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
        environment.put("AWS_LAMBDA_LOG_FORMAT", "JSON");
        environment.put("AWS_LAMBDA_LOG_LEVEL", "INFO");
        environment.put("AWS_LAMBDA_FUNCTION_NAME", "ssm-reach-" + logicalId);
        environment.put("AWS_LAMBDA_FUNCTION_VERSION", "1");
        environment.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
        environment.put("AWS_REGION", settings.region());
        environment.put("AWS_DEFAULT_REGION", settings.region());
        environment.put("AWS_ENDPOINT_URL", aws.endpoint().toString());
        environment.put("ACCOUNT_ID", settings.accountId());
        environment.put("INSTANCE_PROFILE_ARN", settings.instanceProfileArn());
        environment.put("JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1");
        environment.put("LAMBDA_TASK_ROOT", home.toString());
        environment.put("HOME", home.toString());
        environment.put("TZ", ":UTC");
        environment.put("PATH", "/usr/bin:/bin");
        return environment;
    }

    private static String report(RuntimeApiFunction function) {
        try {
            return function.state() + ", " + function.runtimeErrors() + "\n" + Files.readString(function.log());
        } catch (IOException e) {
            return function.runtimeErrors() + " (log unreadable: " + e + ")";
        }
    }

    /** The package zipped as sam deploy uploads it: the classes at the root, the jars under lib/. */
    private static long zip(Path classes, List<Path> lib, Path zip) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip)); Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new ZipEntry(classes.relativize(file).toString()));
                Files.copy(file, out);
                out.closeEntry();
            }
            for (Path jar : lib) {
                out.putNextEntry(new ZipEntry("lib/" + jar.getFileName()));
                Files.copy(jar, out);
                out.closeEntry();
            }
        }
        return Files.size(zip);
    }
}
