package ssmreach.local.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.CallLog;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioReport;
import ssmreach.local.scenario.ScenarioWorld;
import ssmreach.local.scenario.TriggerRun;

/**
 * The end of a run: per subnet of the scenario its classification, the endpoints that serve it
 * and their zones, the monthly cost its executions added and what became of it; per instance its
 * state, profile and registration; per execution its status, path and result. One JSON document
 * ({@link #json()}) or a table ({@link #print(PrintStream)}).
 */
final class Summary {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ScenarioReport report;
    private final ScenarioWorld world;
    private final List<String> extraFailures;

    Summary(ScenarioReport report, List<String> extraFailures) {
        this.report = report;
        this.world = report.world();
        this.extraFailures = List.copyOf(extraFailures);
    }

    boolean passed() {
        return report.passed() && extraFailures.isEmpty();
    }

    List<String> failures() {
        List<String> all = new ArrayList<>(report.failures());
        all.addAll(extraFailures);
        return all;
    }

    ObjectNode json() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("scenario", report.scenario().name());
        root.put("description", report.scenario().description());
        root.put("succeeded", passed());
        ObjectNode settings = root.putObject("settings");
        report.scenario().settings().forEach(settings::put);
        root.put("monthlyCostAddedUsd", totalCost());
        ArrayNode subnets = root.putArray("subnets");
        for (Scenario.Subnet subnet : world.world().subnets()) {
            subnets.add(subnet(subnet));
        }
        ArrayNode instances = root.putArray("instances");
        for (Scenario.Instance instance : world.world().instances()) {
            instances.add(instance(instance));
        }
        ArrayNode executions = root.putArray("executions");
        for (TriggerRun run : report.runs()) {
            ObjectNode execution = executions.addObject();
            execution.put("number", run.trigger().number());
            execution.put("trigger", run.trigger().label());
            execution.put("status", run.execution().status().name());
            execution.put("outcome", run.outcome());
            execution.put("durationMs", run.execution().duration().toMillis());
            run.execution().path().forEach(execution.putArray("path")::add);
            run.mutations().stream().map(CallLog.Call::operation).forEach(execution.putArray("mutations")::add);
            run.failures().forEach(execution.putArray("unmetExpectations")::add);
            execution.set("result", run.result());
        }
        ArrayNode denials = root.putArray("denials");
        report.denials().forEach(d -> denials.addObject().put("action", d.action()).put("resource", d.resource())
                .put("principal", d.principal().arn()));
        failures().forEach(root.putArray("unmetExpectations")::add);
        return root;
    }

    void print(PrintStream out) {
        out.println();
        out.println("Summary of scenario " + report.scenario().name() + ": " + report.scenario().description());
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("SUBNET", "ID", "ZONE", "ROUTE", "STATUS", "OUTCOME", "ENDPOINTS", "COST/MONTH"));
        for (Scenario.Subnet subnet : world.world().subnets()) {
            ObjectNode s = subnet(subnet);
            rows.add(List.of(subnet.name(), s.path("subnetId").asText(), subnet.zone(), s.path("route").asText("-"),
                    s.path("status").asText("-"), s.path("outcome").asText("(no trigger)"), endpointsText(s.path("endpoints")),
                    s.path("monthlyCostAddedUsd").asDouble() == 0 ? "-" : usd(s.path("monthlyCostAddedUsd").decimalValue())));
        }
        table(out, rows);
        if (!world.world().instances().isEmpty()) {
            out.println();
            List<List<String>> instanceRows = new ArrayList<>();
            instanceRows.add(List.of("INSTANCE", "ID", "SUBNET", "STATE", "PROFILE", "REGISTRATION"));
            for (Scenario.Instance instance : world.world().instances()) {
                ObjectNode i = instance(instance);
                JsonNode result = i.path("result");
                String registration = result.hasNonNull("registration") ? result.get("registration").asText()
                        + (result.hasNonNull("secondsToOnline") ? " after " + result.get("secondsToOnline").asLong() + " s" : "")
                        : i.path("pingStatus").isNull() ? "-" : "none".equals(i.path("pingStatus").asText()) ? "not registered"
                        : i.path("pingStatus").asText();
                instanceRows.add(List.of(instance.name(), i.path("instanceId").asText(), instance.subnet(), i.path("state").asText(),
                        i.path("profile").asText(), registration));
            }
            table(out, instanceRows);
        }
        report.runs().stream().map(TriggerRun::result).filter(r -> r != null && r.has("region"))
                .forEach(r -> printRegion(out, r.get("region")));
        out.println();
        out.println("Endpoints added: " + usd(totalCost())
                + " a month (interface endpoints are billed per zone-hour; the S3 gateway is free).");
        out.println("Denied by IAM: " + report.denials().size() + (report.denials().isEmpty() ? "" : " ("
                + report.denials().stream().map(d -> d.action()).distinct().sorted().collect(java.util.stream.Collectors.joining(", ")) + ")"));
        long asExpected = report.runs().stream().filter(TriggerRun::passed).count();
        out.println(passed()
                ? "OK: every execution (" + report.runs().size() + ") ended as the scenario expects."
                : "NOT OK: " + asExpected + " of " + report.runs().size() + " executions as expected; unmet:");
        failures().forEach(f -> out.println("  - " + f));
    }

    private ObjectNode subnet(Scenario.Subnet subnet) {
        String id = world.id(subnet.name());
        ObjectNode node = MAPPER.createObjectNode();
        node.put("name", subnet.name());
        node.put("subnetId", id);
        node.put("vpc", subnet.vpc());
        node.put("zone", subnet.zone());
        node.put("seededRoute", subnet.route());
        Optional<TriggerRun> last = report.runs().stream().filter(run -> resultSubnet(run, id) != null).reduce((a, b) -> b);
        last.ifPresent(run -> {
            JsonNode classified = resultSubnet(run, id);
            node.put("route", classified.path("route").asText(null));
            node.put("status", classified.path("status").asText(null));
            node.put("reason", classified.path("reason").asText(null));
            node.put("outcome", subnetOutcome(node.path("status").asText(), run.outcome()));
        });
        ArrayNode endpoints = node.putArray("endpoints");
        if (last.isPresent() && "in-scope".equals(node.path("status").asText())) {
            String vpcId = world.id(subnet.vpc());
            Map<String, String> zones = world.zones(vpcId);
            for (VpcEndpoint endpoint : world.endpoints(vpcId)) {
                boolean gateway = "Gateway".equalsIgnoreCase(endpoint.vpcEndpointTypeAsString());
                Set<String> served = endpoint.subnetIds().stream().map(zones::get).filter(z -> z != null)
                        .collect(Collectors.toCollection(TreeSet::new));
                if (!gateway && !served.contains(subnet.zone())) {
                    continue;
                }
                ObjectNode e = endpoints.addObject();
                e.put("id", endpoint.vpcEndpointId());
                e.put("service", endpoint.serviceName().substring(endpoint.serviceName().lastIndexOf('.') + 1));
                e.put("type", endpoint.vpcEndpointTypeAsString());
                if (!gateway) {
                    // A gateway endpoint is a route, not a name: private DNS does not apply to it.
                    e.put("privateDns", Boolean.TRUE.equals(endpoint.privateDnsEnabled()));
                }
                served.forEach(e.putArray("zones")::add);
            }
        }
        node.put("monthlyCostAddedUsd", report.runs().stream()
                .filter(run -> run.result() != null && run.result().path("subnets").size() == 1 && resultSubnet(run, id) != null)
                .map(run -> run.result().path("monthlyCostAddedUsd").decimalValue()).reduce(BigDecimal.ZERO, BigDecimal::add));
        return node;
    }

    private ObjectNode instance(Scenario.Instance instance) {
        String id = world.id(instance.name());
        ObjectNode node = MAPPER.createObjectNode();
        node.put("name", instance.name());
        node.put("instanceId", id);
        node.put("subnet", instance.subnet());
        node.put("state", world.instance(id).map(i -> i.state().nameAsString()).orElse("gone"));
        node.put("profile", world.profileName(world.profileArn(id).orElse(null)));
        try {
            node.put("pingStatus", world.pingStatus(id));
        } catch (RuntimeException e) {
            node.putNull("pingStatus"); // no Systems Manager fleet answers here
        }
        report.runs().stream().map(TriggerRun::result).filter(r -> r != null)
                .flatMap(r -> java.util.stream.StreamSupport.stream(r.path("instances").spliterator(), false))
                .filter(i -> id.equals(i.path("instanceId").asText())).reduce((a, b) -> b)
                .ifPresent(result -> node.set("result", result));
        return node;
    }

    /**
     * What became of the subnet itself in the last execution that evaluated it: that execution's
     * outcome when the subnet was in its scope; {@code skipped} when out of scope or opted out
     * (whatever else the execution did, e.g. give an instance there a profile); {@code gone}.
     */
    static String subnetOutcome(String status, String executionOutcome) {
        return switch (status) {
            case "in-scope" -> executionOutcome;
            case "gone" -> "gone";
            default -> "skipped";
        };
    }

    /** The subnet in the run's result, or for a sweep in the result of its VPC's execution. */
    private static JsonNode resultSubnet(TriggerRun run, String subnetId) {
        if (run.result() == null) {
            return null;
        }
        List<JsonNode> results = new ArrayList<>(List.of(run.result()));
        if (run.result().has("region")) {
            run.execution().children().values().stream().filter(c -> c.output() != null).forEach(c -> results.add(c.output()));
        }
        for (JsonNode result : results) {
            for (JsonNode subnet : result.path("subnets")) {
                if (subnetId.equals(subnet.path("subnetId").asText())) {
                    return subnet;
                }
            }
        }
        return null;
    }

    private BigDecimal totalCost() {
        return report.runs().stream().filter(run -> run.result() != null)
                .map(run -> run.result().path("monthlyCostAddedUsd").decimalValue()).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** "ssm, ssmmessages, ec2messages in us-east-1a, us-east-1b; s3 gateway": services grouped by the zones they serve. */
    private static String endpointsText(JsonNode endpoints) {
        if (endpoints.isEmpty()) {
            return "none";
        }
        Map<String, List<String>> byZones = new LinkedHashMap<>();
        List<String> gateways = new ArrayList<>();
        for (JsonNode e : endpoints) {
            if ("Gateway".equalsIgnoreCase(e.path("type").asText())) {
                gateways.add(e.path("service").asText() + " gateway");
            } else {
                List<String> zones = new ArrayList<>();
                e.path("zones").forEach(z -> zones.add(z.asText()));
                byZones.computeIfAbsent(String.join(", ", zones), k -> new ArrayList<>()).add(e.path("service").asText());
            }
        }
        List<String> parts = new ArrayList<>();
        byZones.forEach((zones, services) -> parts.add(String.join(", ", services) + " in " + zones));
        parts.addAll(gateways);
        return String.join("; ", parts);
    }

    /** A sweep's Region report: one row per VPC of its page (by its scenario name), and the totals of the whole sweep so far. */
    private void printRegion(PrintStream out, JsonNode region) {
        Map<String, String> names = new LinkedHashMap<>();
        world.ids().forEach((name, id) -> names.put(id, name));
        out.println();
        out.println("Region report (" + region.path("region").asText() + "), a sweep's page"
                + (region.has("continuesAfter") ? ", continued after " + region.path("continuesAfter").asText() : "") + ":");
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("VPC", "OUTCOME", "SUBNETS (ROUTE/STATUS)", "INSTANCES", "FINDINGS", "ENDPOINT-ZONES", "COST/MONTH", "CHANGES",
                "REPAIRS"));
        for (JsonNode line : region.path("vpcs")) {
            JsonNode tally = line.path("summary").path("tally");
            String vpcId = line.path("vpcId").asText();
            rows.add(regionRow(names.containsKey(vpcId) ? names.get(vpcId) + " " + vpcId : vpcId, line.path("outcome").asText()
                    + (line.hasNonNull("error") ? " (" + line.get("error").asText() + ")" : ""), tally));
        }
        JsonNode total = region.path("total");
        rows.add(regionRow("TOTAL: " + total.path("vpcs").asInt() + " VPCs", counts(total.path("outcomes")), total.path("tally")));
        table(out, rows);
        region.path("skipped").forEach(s -> out.println("  left out: " + s.asText()));
    }

    private static List<String> regionRow(String vpc, String outcome, JsonNode tally) {
        return List.of(vpc, outcome, counts(tally.path("subnets")), counts(tally.path("instances")), counts(tally.path("findings")),
                tally.path("endpointZones").asInt() + (tally.path("endpointZonesAdded").asInt() > 0
                        ? " (+" + tally.path("endpointZonesAdded").asInt() + ")" : ""),
                usd(tally.path("endpointMonthlyCostUsd").decimalValue()) + (tally.path("monthlyCostAddedUsd").decimalValue().signum() > 0
                        ? " (+" + usd(tally.path("monthlyCostAddedUsd").decimalValue()) + ")" : ""), String.valueOf(tally.path("actions").asInt()),
                String.valueOf(tally.path("repairs").asInt()));
    }

    /** {"a": 1, "b": 2} as "a 1, b 2"; "-" when empty. */
    private static String counts(JsonNode counts) {
        List<String> parts = new ArrayList<>();
        counts.fields().forEachRemaining(e -> parts.add(e.getKey() + " " + e.getValue().asInt()));
        return parts.isEmpty() ? "-" : String.join(", ", parts);
    }

    private static String usd(BigDecimal amount) {
        return amount.setScale(2, RoundingMode.HALF_UP).toPlainString() + " USD";
    }

    private static void table(PrintStream out, List<List<String>> rows) {
        int[] widths = new int[rows.getFirst().size()];
        for (List<String> row : rows) {
            for (int c = 0; c < row.size(); c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder(" ");
            for (int c = 0; c < row.size(); c++) {
                line.append(' ').append(c == row.size() - 1 ? row.get(c) : String.format("%-" + widths[c] + "s ", row.get(c)));
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
