package ssmreach.local.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.SecurityGroupIdentifier;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.Safety;

/** Checks a scenario's expectations; each unmet one becomes a sentence saying what was expected and what was found. */
final class Expectations {
    /** Numbers compare by value (3 equals 3.0); everything else as JSON. */
    private static final Comparator<JsonNode> JSON_VALUES = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private Expectations() {}

    static List<String> check(Scenario.TriggerExpectation expect, Execution execution, JsonNode result,
                              List<CallLog.Call> mutations, ScenarioWorld world) {
        List<String> failures = new ArrayList<>();
        if (!expect.status().equals(execution.status().name())) {
            failures.add("status: expected " + expect.status() + ", got " + execution.status()
                    + (execution.error() == null ? "" : " (" + execution.error() + ": " + abbreviate(execution.cause()) + ")"));
        }
        List<String> entered = execution.events().stream().filter(e -> "StateEntered".equals(e.type()))
                .map(Execution.Event::state).toList();
        if (!isSubsequence(expect.path(), entered)) {
            failures.add("path: expected " + String.join(" > ", expect.path()) + " (in this order), entered "
                    + String.join(" > ", entered));
        }
        for (String state : expect.notEntered()) {
            if (entered.contains(state)) {
                failures.add("path: " + state + " was entered, expected not");
            }
        }
        for (String state : expect.retried()) {
            if (events(execution, "StateRetried", state) == 0) {
                failures.add("retried: " + state + " was not retried");
            }
        }
        for (String state : expect.caught()) {
            if (events(execution, "StateCaught", state) == 0) {
                failures.add("caught: no Catch of " + state + " applied");
            }
        }
        if (result == null && (!expect.output().isEmpty() || !expect.findings().isEmpty())) {
            failures.add("output: no result document (the execution ended " + execution.status() + " without Report or ReportFailure)");
        } else if (result != null) {
            expect.output().forEach((path, expected) -> checkValue(result, path, world.resolve(expected), failures));
            expect.matches().forEach((path, regex) -> checkMatch(result, path, Scenario.PLACEHOLDER.matcher(regex)
                    .replaceAll(m -> Matcher.quoteReplacement(Pattern.quote(world.id(m.group(1))))), failures));
            for (String path : expect.present()) {
                List<String> missing = new ArrayList<>();
                missing(result, path.split("\\."), 0, "", missing);
                if (!missing.isEmpty()) {
                    failures.add("output." + path + ": expected a value, absent at " + String.join(", ", missing));
                }
            }
            Set<String> codes = new TreeSet<>();
            findingCodes(result, false, codes);
            for (String code : expect.findings()) {
                if (!codes.contains(code)) {
                    failures.add("findings: no " + code + " (found: " + codes + ")");
                }
            }
        }
        // Whatever the scenario expects, this holds for every execution.
        failures.addAll(Safety.violations(mutations, world.vpcBlocks()));
        if (expect.mutations() != null) {
            List<String> made = mutations.stream().map(CallLog.Call::operation).sorted().toList();
            List<String> expected = expect.mutations().stream().sorted().toList();
            if (!made.equals(expected)) {
                failures.add("mutations: expected " + expected + ", made " + made);
            }
        }
        return failures;
    }

    static List<String> check(Scenario.WorldExpectation expect, ScenarioWorld world) {
        List<String> failures = new ArrayList<>();
        expect.vpcs().forEach((name, vpc) -> checkVpc(name, vpc, world, failures));
        expect.subnets().forEach((name, subnet) -> {
            Optional<Map<String, String>> tags = world.subnetTags(world.id(name));
            if (tags.isEmpty()) {
                failures.add("subnet " + name + ": no longer exists");
                return;
            }
            subnet.tags().forEach((key, value) -> {
                String actual = tags.get().get(key);
                if (!Objects.equals(value, actual)) {
                    failures.add("subnet " + name + ": tag " + key + " expected " + (value == null ? "absent" : "\"" + value + "\"")
                            + ", is " + (actual == null ? "absent" : "\"" + actual + "\""));
                }
            });
        });
        expect.instances().forEach((name, instance) -> {
            String id = world.id(name);
            Optional<Instance> found = world.instance(id);
            String state = found.map(i -> i.state().nameAsString()).orElse("gone");
            if (instance.state() != null && !instance.state().equals(state)) {
                failures.add("instance " + name + ": state expected " + instance.state() + ", is " + state);
            }
            if (instance.profile() != null) {
                String profile = world.profileName(world.profileArn(id).orElse(null));
                if (!instance.profile().equals(profile)) {
                    failures.add("instance " + name + ": profile expected " + instance.profile() + ", is " + profile);
                }
            }
            if (instance.pingStatus() != null) {
                String ping;
                try {
                    ping = world.pingStatus(id);
                } catch (RuntimeException e) {
                    ping = "unknown (DescribeInstanceInformation failed: " + abbreviate(e.getMessage()) + ")";
                }
                if (!instance.pingStatus().equals(ping)) {
                    failures.add("instance " + name + ": PingStatus expected " + instance.pingStatus() + ", is " + ping);
                }
            }
        });
        return failures;
    }

    private static void checkVpc(String name, Scenario.VpcExpectation vpc, ScenarioWorld world, List<String> failures) {
        String vpcId = world.id(name);
        if (vpc.dnsSupport() != null && vpc.dnsSupport() != world.dnsAttribute(vpcId, VpcAttributeName.ENABLE_DNS_SUPPORT)) {
            failures.add("vpc " + name + ": enableDnsSupport expected " + vpc.dnsSupport());
        }
        if (vpc.dnsHostnames() != null && vpc.dnsHostnames() != world.dnsAttribute(vpcId, VpcAttributeName.ENABLE_DNS_HOSTNAMES)) {
            failures.add("vpc " + name + ": enableDnsHostnames expected " + vpc.dnsHostnames());
        }
        List<SecurityGroup> managed = world.managedGroups(vpcId);
        if (vpc.managedSecurityGroups() != null && vpc.managedSecurityGroups() != managed.size()) {
            failures.add("vpc " + name + ": managed security groups expected " + vpc.managedSecurityGroups() + ", found " + managed.size());
        }
        if (vpc.endpoints().isEmpty()) {
            return;
        }
        List<VpcEndpoint> endpoints = world.endpoints(vpcId);
        Map<String, String> zones = world.zones(vpcId);
        Set<String> managedIds = managed.stream().map(SecurityGroup::groupId).collect(Collectors.toSet());
        vpc.endpoints().forEach((service, e) -> {
            String serviceName = ScenarioWorld.serviceName(service);
            List<VpcEndpoint> ofService = endpoints.stream().filter(x -> serviceName.equals(x.serviceName())).toList();
            String what = "vpc " + name + ": " + service + " endpoints";
            if (e.count() != null && e.count() != ofService.size()) {
                failures.add(what + ": expected " + e.count() + ", found " + ofService.size()
                        + (ofService.isEmpty() ? "" : " " + ofService.stream().map(VpcEndpoint::vpcEndpointId).toList()));
            }
            if (e.privateDns() != null && ofService.stream().anyMatch(x -> e.privateDns() != Boolean.TRUE.equals(x.privateDnsEnabled()))) {
                failures.add(what + ": expected private DNS " + (e.privateDns() ? "on" : "off") + " on each");
            }
            if (e.zones() != null) {
                Set<String> served = ofService.stream().flatMap(x -> x.subnetIds().stream()).map(zones::get)
                        .filter(Objects::nonNull).collect(Collectors.toCollection(TreeSet::new));
                if (!served.equals(new TreeSet<>(e.zones()))) {
                    failures.add(what + ": expected zones " + new TreeSet<>(e.zones()) + ", serve " + served);
                }
            }
            if (e.managedGroup() != null) {
                boolean all = !ofService.isEmpty() && ofService.stream().allMatch(x -> x.groups().stream()
                        .map(SecurityGroupIdentifier::groupId).anyMatch(managedIds::contains));
                if (all != e.managedGroup()) {
                    failures.add(what + ": expected the managed security group " + (e.managedGroup() ? "on each" : "on none")
                            + ", groups: " + ofService.stream().map(x -> x.groups().stream().map(SecurityGroupIdentifier::groupId).toList())
                            .toList());
                }
            }
            if (e.routeTablesOf() != null) {
                Set<String> expected = e.routeTablesOf().stream().map(world::routeTable).collect(Collectors.toCollection(TreeSet::new));
                Set<String> held = ofService.stream().flatMap(x -> x.routeTableIds().stream())
                        .collect(Collectors.toCollection(TreeSet::new));
                if (!held.equals(expected)) {
                    failures.add(what + ": expected the route tables of " + e.routeTablesOf() + " " + expected + ", hold " + held);
                }
            }
            if (e.seeded() != null) {
                String seededId = world.id(e.seeded());
                if (ofService.size() != 1 || !ofService.getFirst().vpcEndpointId().equals(seededId)) {
                    failures.add(what + ": expected only the seeded " + e.seeded() + " (" + seededId + "), found "
                            + ofService.stream().map(VpcEndpoint::vpcEndpointId).toList());
                }
            }
        });
    }

    private static void checkValue(JsonNode result, String path, JsonNode expected, List<String> failures) {
        checkEach(result, path, expected.toString(), actual -> actual.equals(JSON_VALUES, expected), failures);
    }

    private static void checkMatch(JsonNode result, String path, String regex, List<String> failures) {
        Pattern pattern = Pattern.compile(regex);
        checkEach(result, path, "a match of " + regex,
                actual -> actual.isValueNode() && !actual.isNull() && pattern.matcher(actual.asText()).matches(), failures);
    }

    /** Every value at the path (at least one) is {@code expected}, as {@code holds} tells; the first that is not is a failure. */
    private static void checkEach(JsonNode result, String path, String expected, Predicate<JsonNode> holds, List<String> failures) {
        List<JsonNode> found = new ArrayList<>();
        select(result, path.split("\\."), 0, found);
        if (found.isEmpty()) {
            failures.add("output." + path + ": expected " + expected + ", absent");
            return;
        }
        found.stream().filter(holds.negate()).findFirst().ifPresent(actual ->
                failures.add("output." + path + ": expected " + expected + ", is " + abbreviate(actual.toString())));
    }

    /** The nodes at a dotted path; "*" stands for every element of an array (or value of an object). */
    private static void select(JsonNode node, String[] segments, int index, List<JsonNode> found) {
        if (node == null || node.isMissingNode()) {
            return;
        }
        if (index == segments.length) {
            found.add(node);
            return;
        }
        String segment = segments[index];
        if (segment.equals("*")) {
            node.forEach(child -> select(child, segments, index + 1, found));
        } else if (node.isArray() && segment.matches("\\d+")) {
            select(node.get(Integer.parseInt(segment)), segments, index + 1, found);
        } else if (node.isObject()) {
            select(node.get(segment), segments, index + 1, found);
        }
    }

    /** Where a path holds no value (null counts as none); "*" requires it in every element, and at least one element. */
    private static void missing(JsonNode node, String[] segments, int index, String at, List<String> missing) {
        if (index == segments.length) {
            if (node == null || node.isMissingNode() || node.isNull()) {
                missing.add(at.isEmpty() ? "the document" : at.substring(1));
            }
            return;
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            missing.add((at + "." + String.join(".", java.util.Arrays.copyOfRange(segments, index, segments.length))).substring(1));
            return;
        }
        String segment = segments[index];
        if (segment.equals("*")) {
            if (node.isEmpty()) {
                missing.add((at + "." + String.join(".", java.util.Arrays.copyOfRange(segments, index, segments.length)))
                        .substring(1) + " (no elements)");
            }
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    missing(node.get(i), segments, index + 1, at + "." + i, missing);
                }
            } else {
                node.properties().forEach(e -> missing(e.getValue(), segments, index + 1, at + "." + e.getKey(), missing));
            }
        } else if (node.isArray() && segment.matches("\\d+")) {
            missing(node.get(Integer.parseInt(segment)), segments, index + 1, at + "." + segment, missing);
        } else {
            missing(node.isObject() ? node.get(segment) : null, segments, index + 1, at + "." + segment, missing);
        }
    }

    /** The code of every finding anywhere in the document (the VPC's, each instance's diagnosis, ...). */
    private static void findingCodes(JsonNode node, boolean inFindings, Set<String> codes) {
        if (inFindings && node.isObject() && node.hasNonNull("code")) {
            codes.add(node.get("code").asText());
        }
        if (node.isObject()) {
            node.properties().forEach(e -> findingCodes(e.getValue(), e.getKey().equals("findings"), codes));
        } else if (node.isArray()) {
            node.forEach(child -> findingCodes(child, inFindings, codes));
        }
    }

    private static boolean isSubsequence(List<String> expected, List<String> actual) {
        int i = 0;
        for (String state : actual) {
            if (i < expected.size() && expected.get(i).equals(state)) {
                i++;
            }
        }
        return i == expected.size();
    }

    private static long events(Execution execution, String type, String state) {
        return execution.events().stream().filter(e -> type.equals(e.type()) && state.equals(e.state())).count();
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() <= 200 ? text : text.substring(0, 197) + "...";
    }
}
