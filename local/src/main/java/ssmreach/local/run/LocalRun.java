package ssmreach.local.run;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.sts.StsClient;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioException;
import ssmreach.local.scenario.ScenarioReport;
import ssmreach.local.scenario.ScenarioRunner;
import ssmreach.local.scenario.TriggerRun;

/**
 * {@code local/run}: the whole workflow on this machine. By default it starts the embedded AWS
 * (moto behind the strictness proxy), seeds a scenario's world, runs the scenario's triggers
 * through the real definition and functions, prints a timeline and a summary, and stops what it
 * started. Exit code 0 when every execution ended as the scenario expects, 1 when not, 2 when the
 * run could not be made (bad arguments or scenario, a tool missing).
 *
 * <p>With {@code --input JSON} it runs that one input against the AWS the SDK finds instead:
 * {@code AWS_ENDPOINT_URL} (e.g. LocalStack) or the account of the current credentials. Nothing
 * is seeded there and the functions are built as Lambda builds them (their no-argument
 * constructors, settings from the environment); {@code --dry-run} needs {@code DRY_RUN=true} in
 * the environment, which {@code local/run} sets, so that no function mutates anything.
 */
public final class LocalRun {
    static final String USAGE = """
            usage: local/run [SCENARIO] [--json] [--dry-run]     run a scenario of local/scenarios on the embedded AWS (default: default)
                   local/run --list                              list the scenarios
                   local/run --input JSON [--json] [--dry-run]   run one input against AWS_ENDPOINT_URL or your account
              --json      the summary as one JSON document on stdout; the timeline goes to stderr
              --dry-run   no mutation: DRY_RUN=true for the stack (a scenario then checks only each execution's status)""";
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern HANDLER = Pattern.compile("^\\s+Handler:\\s*([\\w.$]+)::\\w+\\s*$");
    private static final Pattern RESOURCE = Pattern.compile("^  (\\w+):\\s*$");

    private record Options(String scenario, boolean json, boolean dryRun, boolean list, String input) {}

    private LocalRun() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            stderr.println("local/run: " + e.getMessage());
            stderr.println(USAGE);
            return 2;
        }
        if (options == null) {
            stdout.println(USAGE);
            return 0;
        }
        PrintStream timeline = options.json() ? stderr : stdout;
        try {
            Path logs = LocalWorkflow.repositoryRoot().resolve("local/target/local-run");
            Files.createDirectories(logs);
            // The functions log (and ReportHandler prints its document) to stdout/stderr, as in Lambda:
            // keep that in a file so that the timeline reads well and --json's stdout is one document.
            try (PrintStream functionLog = new PrintStream(new FileOutputStream(logs.resolve("functions.log").toFile()), true,
                    StandardCharsets.UTF_8)) {
                System.setOut(functionLog);
                System.setErr(functionLog);
                if (options.list()) {
                    return list(stdout);
                }
                return options.input() != null
                        ? againstEndpoint(options, timeline, stdout, logs)
                        : scenario(options, timeline, stdout, logs);
            } finally {
                System.setOut(stdout);
                System.setErr(stderr);
            }
        } catch (ScenarioException | IllegalStateException | IllegalArgumentException e) {
            stderr.println("local/run: " + e.getMessage());
            return 2;
        } catch (IOException | RuntimeException e) {
            stderr.println("local/run: the run broke: " + e);
            e.printStackTrace(stderr);
            return 2;
        }
    }

    private static Options parse(String[] args) {
        String scenario = null;
        String input = null;
        boolean json = false;
        boolean dryRun = false;
        boolean list = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--dry-run" -> dryRun = true;
                case "--list" -> list = true;
                case "-h", "--help" -> {
                    return null;
                }
                case "--input" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--input needs a JSON document");
                    }
                    input = args[++i];
                }
                default -> {
                    if (args[i].startsWith("-") || scenario != null) {
                        throw new IllegalArgumentException("unexpected argument " + args[i]);
                    }
                    scenario = args[i];
                }
            }
        }
        if (input != null && scenario != null) {
            throw new IllegalArgumentException("give a scenario (run on the embedded AWS) or --input (run against an endpoint), not both");
        }
        if (input == null && System.getenv("AWS_ENDPOINT_URL") != null && !list) {
            throw new IllegalArgumentException("AWS_ENDPOINT_URL is set: scenarios run on the embedded AWS only; give the trigger "
                    + "with --input '{\"subnetId\": \"subnet-...\"}' (or unset AWS_ENDPOINT_URL)");
        }
        return new Options(scenario == null ? "default" : scenario, json, dryRun, list, input);
    }

    private static int list(PrintStream out) {
        for (String name : Scenario.names()) {
            String description;
            try {
                description = Scenario.load(name).description();
            } catch (ScenarioException e) {
                description = "INVALID: " + e.getMessage();
            }
            out.printf("%-28s %s%n", name, description);
        }
        return 0;
    }

    private static int scenario(Options options, PrintStream timeline, PrintStream stdout, Path logs) {
        Scenario scenario = Scenario.load(options.scenario());
        if (options.dryRun()) {
            scenario = scenario.asDryRun();
        }
        ScenarioRunner.settings(scenario);
        timeline.println("ssm-reach, locally: scenario " + scenario.name() + " - " + scenario.description());
        if (scenario.pending() != null) {
            timeline.println("Known not to pass yet: " + scenario.pending());
        }
        timeline.println("Starting the embedded AWS (moto_server; log " + LocalWorkflow.repositoryRoot().relativize(logs) + "/moto.log)");
        try (LocalAws aws = LocalAws.start(logs.resolve("moto.log"))) {
            timeline.println("Functions log to " + LocalWorkflow.repositoryRoot().relativize(logs) + "/functions.log; "
                    + "> state entered, < left, + AWS mutation, ~ retry, ^ catch, ! failure");
            ScenarioReport report = ScenarioRunner.run(aws, scenario, new Timeline(timeline));
            List<String> extra = new ArrayList<>();
            if (options.dryRun()) {
                List<CallLog.Call> mutations = aws.calls().mutatingCalls();
                if (!mutations.isEmpty()) {
                    extra.add("dry run: " + mutations.size() + " mutating call(s): "
                            + mutations.stream().map(CallLog.Call::operation).toList());
                }
            }
            Summary summary = new Summary(report, extra);
            PermissionReport permissions = PermissionReport.of(report.runs().stream().map(TriggerRun::result).toList(), aws.sts());
            if (options.json()) {
                ObjectNode document = summary.json();
                document.put("dryRun", options.dryRun());
                document.set("permissions", permissions.json());
                stdout.println(write(document));
            } else {
                summary.print(stdout);
                permissions.print(stdout);
            }
            return summary.passed() ? 0 : 1;
        }
    }

    /** One input against AWS_ENDPOINT_URL or the real account: no seeding, functions built as in Lambda. */
    private static int againstEndpoint(Options options, PrintStream timeline, PrintStream stdout, Path logs) {
        JsonNode input = parseInput(options.input());
        String endpoint = System.getenv("AWS_ENDPOINT_URL");
        if (System.getenv("AWS_REGION") == null) {
            throw new IllegalArgumentException("set AWS_REGION for a run against " + (endpoint == null ? "your account" : endpoint));
        }
        if (options.dryRun()) {
            if (!"true".equals(System.getenv("DRY_RUN"))) {
                throw new IllegalArgumentException("--dry-run against an endpoint needs DRY_RUN=true in the environment "
                        + "(local/run sets it): the functions read their settings from there");
            }
            if (input.isObject() && !input.has("source") && !input.has("detail-type")) {
                ((ObjectNode) input).put("dryRun", true);
            }
        }
        timeline.println("ssm-reach against " + (endpoint == null ? "the AWS account of your credentials" : endpoint)
                + " in " + System.getenv("AWS_REGION") + (options.dryRun() ? ", dry run (DRY_RUN=true)" : "")
                + "; nothing seeded, AWS calls not shown; functions log to "
                + LocalWorkflow.repositoryRoot().relativize(logs) + "/functions.log");
        Scenario.Trigger trigger = new Scenario.Trigger(1, null, null, null, Map.of(), input, false,
                Scenario.TriggerExpectation.SUCCEEDED);
        Timeline listener = new Timeline(timeline);
        Execution execution;
        try (LocalWorkflow workflow = new LocalWorkflow(lambdaHandlers())) {
            listener.started(trigger, input.toString());
            execution = workflow.execute(input.toString(), event -> listener.event(trigger, event));
        }
        JsonNode result = ScenarioRunner.resultDocument(execution);
        timeline.println(endLine(execution, result));
        ObjectNode document = MAPPER.createObjectNode();
        document.put("endpoint", endpoint == null ? "aws" : endpoint);
        document.put("dryRun", options.dryRun());
        document.put("succeeded", execution.succeeded());
        document.put("status", execution.status().name());
        document.put("error", execution.error());
        execution.path().forEach(document.putArray("path")::add);
        document.set("result", result);
        PermissionReport permissions;
        try (StsClient sts = StsClient.create()) {
            permissions = PermissionReport.of(java.util.Collections.singletonList(result), sts);
        }
        document.set("permissions", permissions.json());
        stdout.println(options.json() ? write(document) : "\nResult:\n" + write(result));
        if (!options.json()) {
            permissions.print(stdout);
        }
        return execution.succeeded() && !permissions.anyDenied() ? 0 : 1;
    }

    /**
     * The closing line of a run against an endpoint: how the execution ended and the error its
     * result published. The AWS calls are not seen from here (the functions call the endpoint
     * directly), so they are not counted.
     */
    static String endLine(Execution execution, JsonNode result) {
        String outcome = result != null && result.hasNonNull("outcome") ? ": " + result.get("outcome").asText() : "";
        String error = execution.error() == null ? "" : " (" + execution.error() + ")";
        String published = result != null && result.path("error").hasNonNull("errorType")
                ? "; error published: " + result.at("/error/errorType").asText() + ": " + result.at("/error/errorMessage").asText()
                : "";
        return String.format("    %6d ms  = %s%s%s%s; AWS calls not observed against an endpoint", execution.duration().toMillis(),
                execution.status(), outcome, error, published);
    }

    /**
     * The workflow's functions as Lambda builds them: each template.yaml function's Handler class
     * through its no-argument constructor (clients and settings from the environment).
     */
    private static Map<String, RequestStreamHandler> lambdaHandlers() {
        Map<String, String> classes = new LinkedHashMap<>();
        String resource = null;
        try {
            for (String line : Files.readAllLines(LocalWorkflow.repositoryRoot().resolve("template.yaml"))) {
                Matcher r = RESOURCE.matcher(line);
                if (r.matches()) {
                    resource = r.group(1);
                }
                Matcher h = HANDLER.matcher(line);
                if (h.matches() && resource != null && resource.endsWith("Function")) {
                    classes.put(resource.substring(0, resource.length() - "Function".length()), h.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, RequestStreamHandler> handlers = new LinkedHashMap<>();
        classes.forEach((function, type) -> {
            try {
                handlers.put(function, (RequestStreamHandler) Class.forName(type).getConstructor().newInstance());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot build " + function + " (" + type + ") as Lambda would: " + e, e);
            }
        });
        return handlers;
    }

    private static JsonNode parseInput(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("--input is not JSON: " + e.getMessage());
        }
    }

    private static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
