package ssmreach.local.scenario;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;

/**
 * A workflow scenario: a world to seed in the emulator, stack parameters, the executions to run
 * (with actions between them), and what must hold afterwards. Scenarios are data
 * ({@code local/scenarios/NAME.json}); adding a case needs no code. Every file is validated
 * when loaded: an unknown field, a dangling name, an unknown state or setting fails with the
 * file and the location.
 *
 * <pre>
 * {
 *   "description": "one line",
 *   "pending": "why it cannot pass yet",                     // optional: the workflow tests skip it, saying why
 *   "settings": {"SCOPE": "isolated-and-egress"},            // stack parameters, as in events/env.json
 *   "world": {
 *     "vpcs":     [{"name", "cidr", "secondaryCidrs": [], "ipv6": false, "dnsSupport": true, "dnsHostnames": false,
 *                   "tags": {}}],                              // ipv6: an Amazon-provided IPv6 block too
 *     "subnets":  [{"name", "vpc"?, "cidr", "zone", "route": "ROUTE", "tags": {},
 *                   "later": false}],                          // later: made by a create-subnet action
 *           // ROUTE: isolated (main table) | public (0.0.0.0/0 to an internet gateway) | nat | tgw | peering
 *           //   | gwlb (0.0.0.0/0 to a Gateway Load Balancer endpoint) | ipv6-egress-only (::/0 to an egress-only
 *           //   internet gateway, no 0.0.0.0/0) | ipv6-internet (::/0 to an internet gateway, no 0.0.0.0/0)
 *     "securityGroups": [{"name", "vpc"?, "httpsFrom": ["10.0.0.0/16"]}],
 *     "endpoints": [{"name", "vpc"?, "service": "ssm", "type": "Interface|Gateway", "privateDns": true,
 *                    "subnets": [names], "securityGroups": [names], "tags": {}}],
 *     "roles":    [{"name", "managedPolicies": [ARNs]}],
 *     "instanceProfiles": [{"name", "role"}],
 *     "instances": [{"name", "subnet", "state": "running|stopped", "profile": "none|stack|NAME",
 *                    "metadata": "enabled|disabled", "publicIp": BOOLEAN, "tags": {}, "later": false}]
 *           // publicIp: an Elastic IP on the instance; by default true in a public subnet, false elsewhere.
 *           // later: launched by a launch-instance action
 *   },
 *   "triggers": [                                              // in order; "concurrent" ones start together
 *     {"event": "events/create-subnet.json", "subnet": "NAME", "set": {"detail.x": value}, "expect": {...}},
 *     {"event": "events/FILE.json", "instance": "NAME"},
 *     {"event": "events/delete-route.json", "subnet": "NAME"},   // a route call: for the subnet's route table
 *     {"input": {"subnetId": "${NAME}", "dryRun": true}, "concurrent": true, "expect": {...}},
 *     {"do": "create-subnet", "subnet": "NAME"} | {"do": "delete-subnet", "subnet": "NAME"}
 *     | {"do": "terminate-instance", "instance": "NAME"} | {"do": "launch-instance", "instance": "NAME"}
 *     | {"do": "revoke-https", "group": "NAME|managed", "vpc": "NAME", "when": "after FUNCTION"}
 *           // when: not now but once, right after the next invocation of that function (before the workflow sees its answer)
 *     | {"do": "delete-endpoint", "service": "ssm", "vpc": "NAME"}           // the stack's endpoint of that service
 *     | {"do": "remove-endpoint-zone", "service": "ssm", "subnet": "NAME"}   // the endpoint's subnet in that subnet's zone
 *     | {"do": "disable-dns-attribute", "vpc": "NAME", "attribute": "enableDnsSupport|enableDnsHostnames"}
 *     | {"do": "drop-gateway-route-table", "subnet": "NAME"}                 // the subnet's route table, off the S3 gateway
 *     | {"do": "remove-instance-profile", "instance": "NAME"}                // its profile association
 *     | {"do": "delete-default-route", "subnet": "NAME"}                     // 0.0.0.0/0 from the subnet's route table
 *           // these change the world behind the stack's back, as a person would: straight to the emulator
 *     | {"do": "fail-next", "function": "EnsureEndpoints", "times": 1, "error": "fully.qualified.Exception", "message": "..."}
 *   ],
 *   "expect": {                                               // the emulator's state at the end
 *     "vpcs": {"NAME": {"dnsSupport", "dnsHostnames", "managedSecurityGroups": 1,
 *               "endpoints": {"ssm": {"count", "privateDns", "zones": [], "managedGroup", "seeded": "NAME"},
 *                             "s3": {"count", "routeTablesOf": [subnet names]}}}},
 *     "subnets": {"NAME": {"tags": {"key": "value or null for absent"}}},
 *     "instances": {"NAME": {"state", "profile": "none|stack|NAME", "pingStatus": "Online|ConnectionLost|none"}}
 *   }
 * }
 * </pre>
 *
 * A trigger's {@code expect}: {@code status} (SUCCEEDED by default), {@code path} (states entered,
 * in this order, others may come between), {@code notEntered}, {@code retried} and {@code caught}
 * (states with such an event), {@code output} (dotted paths into the result document, e.g.
 * {@code "subnets.0.route"}, {@code "actions.*.planned"} for every element; {@code ${NAME}} in
 * values is the seeded id), {@code matches} (dotted paths to regular expressions that each value, as
 * text, must match whole, {@code ${NAME}} standing for the seeded id: for values that hold ids the
 * scenario does not name), {@code present} (dotted paths that must hold a non-null value; with
 * {@code "*"}, in every element), {@code findings} (codes that must appear), {@code mutations} (the mutating
 * AWS operations made, in any order). The result document is the execution's output, or for a
 * failed execution the one ReportFailure published.
 */
public record Scenario(
        String name,
        String description,
        String pending,
        Map<String, String> settings,
        World world,
        List<Step> steps,
        WorldExpectation expect) {

    public static final String DIRECTORY = "local/scenarios";
    public static final List<String> ROUTES = List.of("isolated", "public", "nat", "tgw", "peering", "gwlb", "ipv6-egress-only",
            "ipv6-internet");
    static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public record World(List<Vpc> vpcs, List<Subnet> subnets, List<SecurityGroup> securityGroups, List<Endpoint> endpoints,
                        List<Role> roles, List<InstanceProfile> instanceProfiles, List<Instance> instances) {}

    /** {@code ipv6}: the VPC also has an Amazon-provided IPv6 block. */
    public record Vpc(String name, String cidr, List<String> secondaryCidrs, boolean ipv6, boolean dnsSupport, boolean dnsHostnames,
                      Map<String, String> tags) {}

    /** {@code later}: not seeded, created by a create-subnet action (a subnet that appears mid-scenario). */
    public record Subnet(String name, String vpc, String cidr, String zone, String route, Map<String, String> tags, boolean later) {}

    public record SecurityGroup(String name, String vpc, List<String> httpsFrom) {}

    public record Endpoint(String name, String vpc, String service, String type, boolean privateDns, List<String> subnets,
                           List<String> securityGroups, Map<String, String> tags) {}

    public record Role(String name, List<String> managedPolicies) {}

    public record InstanceProfile(String name, String role) {}

    /**
     * {@code profile}: "none", "stack" (the stack's instance profile) or the name of an instanceProfiles entry.
     * {@code publicIp}: it has a public IPv4 address (an Elastic IP).
     * {@code later}: not seeded, launched by a launch-instance action (an instance that appears mid-scenario).
     */
    public record Instance(String name, String subnet, String state, String profile, String metadata, boolean publicIp,
                           Map<String, String> tags, boolean later) {}

    /** One element of {@code triggers}: an execution or an action on the world between executions. */
    public sealed interface Step permits Trigger, Action {}

    /**
     * An execution. Either {@code eventFile} (a file of events/, its sample ids replaced by those of
     * {@code subnet} and its VPC, or of {@code instance}; then {@code set} applied) or {@code input}
     * (placeholders resolved).
     */
    public record Trigger(int number, String eventFile, String subnet, String instance, Map<String, JsonNode> set,
                          JsonNode input, boolean concurrent, TriggerExpectation expect) implements Step {
        public String label() {
            if (eventFile != null) {
                String target = subnet != null ? subnet : instance;
                return eventFile + (target == null ? "" : " for " + target) + (set.isEmpty() ? "" : " with " + set);
            }
            return input.toString();
        }
    }

    /**
     * {@code kind}: create-subnet, delete-subnet, terminate-instance, launch-instance, revoke-https, fail-next, and the
     * drifts delete-endpoint, remove-endpoint-zone, disable-dns-attribute, drop-gateway-route-table,
     * remove-instance-profile; the other fields as that kind needs. {@code after}: for revoke-https, the function after
     * whose next invocation it happens (null: at once).
     */
    public record Action(String kind, String subnet, String instance, String group, String vpc, String function, int times,
                         String error, String message, String after, String service, String attribute) implements Step {
        public static final List<String> KINDS = List.of("create-subnet", "delete-subnet", "terminate-instance", "launch-instance",
                "revoke-https", "fail-next", "delete-endpoint", "remove-endpoint-zone", "disable-dns-attribute",
                "drop-gateway-route-table", "remove-instance-profile", "delete-default-route");
        public static final List<String> DNS_ATTRIBUTES = List.of("enableDnsSupport", "enableDnsHostnames");
        /** The services the stack makes interface endpoints for (Services parameter), and s3 (the gateway). */
        public static final List<String> INTERFACE_SERVICES = List.of("ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs");
        public static final List<String> SERVICES = Stream.concat(INTERFACE_SERVICES.stream(), Stream.of("s3")).toList();

        /** An action on the world's resources (no function, fault or service). */
        Action(String kind, String subnet, String instance, String group, String vpc, String after) {
            this(kind, subnet, instance, group, vpc, null, 0, null, null, after, null, null);
        }

        public String label() {
            return switch (kind) {
                case "create-subnet" -> "create subnet " + subnet;
                case "delete-subnet" -> "delete subnet " + subnet;
                case "terminate-instance" -> "terminate instance " + instance;
                case "launch-instance" -> "launch instance " + instance;
                case "revoke-https" -> "revoke TCP 443 ingress of " + ("managed".equals(group) ? "the managed group of " + vpc : group)
                        + (after == null ? "" : ", right after the next invocation of " + after);
                case "delete-endpoint" -> "delete the stack's " + service + " endpoint in " + vpc;
                case "remove-endpoint-zone" -> "remove the zone of subnet " + subnet + " from the " + service + " endpoint";
                case "disable-dns-attribute" -> "turn " + attribute + " off in " + vpc;
                case "drop-gateway-route-table" -> "remove the route table of subnet " + subnet + " from the S3 gateway endpoint";
                case "remove-instance-profile" -> "disassociate the instance profile of " + instance;
                case "delete-default-route" -> "delete the 0.0.0.0/0 route of subnet " + subnet + "'s route table";
                default -> "the next " + (times == 1 ? "invocation" : times + " invocations") + " of " + function + " fail with " + error;
            };
        }
    }

    public record TriggerExpectation(String status, List<String> path, List<String> notEntered, List<String> retried,
                                     List<String> caught, Map<String, JsonNode> output, Map<String, String> matches,
                                     List<String> present, List<String> findings, List<String> mutations) {
        public static final TriggerExpectation SUCCEEDED = status("SUCCEEDED");

        /** Only the status; nothing else expected. */
        static TriggerExpectation status(String status) {
            return new TriggerExpectation(status, List.of(), List.of(), List.of(), List.of(), Map.of(), Map.of(), List.of(), List.of(),
                    null);
        }
    }

    public record WorldExpectation(Map<String, VpcExpectation> vpcs, Map<String, SubnetExpectation> subnets,
                                   Map<String, InstanceExpectation> instances) {
        public static final WorldExpectation NONE = new WorldExpectation(Map.of(), Map.of(), Map.of());
    }

    public record VpcExpectation(Boolean dnsSupport, Boolean dnsHostnames, Integer managedSecurityGroups,
                                 Map<String, EndpointExpectation> endpoints) {}

    /**
     * Per service: how many endpoints, all with private DNS or not, the zones they serve together, ...; for a gateway, the
     * subnets whose route tables they hold together ({@code routeTablesOf}).
     */
    public record EndpointExpectation(Integer count, Boolean privateDns, List<String> zones, Boolean managedGroup, String seeded,
                                      List<String> routeTablesOf) {}

    public record SubnetExpectation(Map<String, String> tags) {}

    public record InstanceExpectation(String state, String profile, String pingStatus) {}

    /**
     * This scenario as a dry run: DRY_RUN=true for the stack; each execution must still end with
     * its expected status, but the other expectations (written for a real run) are dropped.
     */
    public Scenario asDryRun() {
        Map<String, String> dry = new LinkedHashMap<>(settings);
        dry.put("DRY_RUN", "true");
        List<Step> drySteps = steps.stream().map(step -> step instanceof Trigger t
                ? (Step) new Trigger(t.number(), t.eventFile(), t.subnet(), t.instance(), t.set(), t.input(), t.concurrent(),
                        TriggerExpectation.status(t.expect().status()))
                : step).toList();
        return new Scenario(name, description + " (dry run)", pending, Map.copyOf(dry), world, drySteps, WorldExpectation.NONE);
    }

    public List<Trigger> triggers() {
        return steps.stream().filter(Trigger.class::isInstance).map(Trigger.class::cast).toList();
    }

    /** local/scenarios of the repository. */
    public static Path directory() {
        return LocalWorkflow.repositoryRoot().resolve(DIRECTORY);
    }

    /** The names of the scenario files, sorted. */
    public static List<String> names() {
        try (Stream<Path> files = Files.list(directory())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory(), e);
        }
    }

    /** local/scenarios/NAME.json, or a path to a scenario file. */
    public static Scenario load(String nameOrPath) {
        Path file = nameOrPath.endsWith(".json") ? Path.of(nameOrPath) : directory().resolve(nameOrPath + ".json");
        if (!Files.isRegularFile(file)) {
            throw new ScenarioException("no scenario " + nameOrPath + " (" + file + "); known: " + String.join(", ", names()));
        }
        try {
            String name = file.getFileName().toString();
            return parse(name.substring(0, name.length() - ".json".length()), Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Parses and validates a scenario; {@code name} is used in messages as NAME.json. */
    public static Scenario parse(String name, String json) {
        String file = name + ".json";
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new ScenarioException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        }
        return new Parser(file).scenario(name, Fields.of(file, "", root));
    }

    /** Reads one scenario and checks every reference in it. */
    private static final class Parser {
        private final String file;
        private final Map<String, String> kinds = new HashMap<>();
        /**
         * Subnets and instances marked later that no create-subnet or launch-instance action has made yet (at this point
         * of the triggers).
         */
        private final Set<String> pending = new HashSet<>();
        private final Set<String> states;
        private final Set<String> functions;
        private int triggers;

        Parser(String file) {
            this.file = file;
            this.states = stateNames();
            this.functions = functionNames();
        }

        Scenario scenario(String name, Fields root) {
            String description = root.string("description");
            String pending = root.optString("pending", null);
            Map<String, String> settings = root.stringMap("settings", false);
            Set<String> known = settingNames();
            for (String key : settings.keySet()) {
                if (!known.contains(key)) {
                    throw root.at("settings." + key).problem("unknown stack setting (known, from events/env.json: "
                            + String.join(", ", known) + ")");
                }
            }
            try {
                LocalFunctions.settings(settings);
            } catch (RuntimeException e) {
                throw root.at("settings").problem(e.getMessage());
            }
            Fields worldFields = root.object("world");
            if (worldFields == null) {
                throw root.problem("\"world\" is required");
            }
            World world = world(worldFields);
            List<Fields> stepFields = root.objects("triggers");
            if (stepFields.isEmpty()) {
                throw root.problem("\"triggers\" must list at least one execution");
            }
            List<Step> steps = new ArrayList<>();
            for (Fields step : stepFields) {
                steps.add(step(step));
            }
            if (steps.stream().noneMatch(Trigger.class::isInstance)) {
                throw root.problem("\"triggers\" has actions but no execution");
            }
            List<String> neverLaunched = world.instances().stream().map(Instance::name).filter(this.pending::contains).toList();
            if (!neverLaunched.isEmpty()) {
                throw root.at("triggers").problem("instance" + (neverLaunched.size() > 1 ? "s " : " ") + neverLaunched
                        + " marked later but no launch-instance action launches it");
            }
            Fields expectFields = root.object("expect");
            WorldExpectation expect = expectFields == null ? WorldExpectation.NONE : worldExpectation(expectFields, world);
            root.done();
            return new Scenario(name, description, pending, Map.copyOf(settings), world, List.copyOf(steps), expect);
        }

        private World world(Fields w) {
            List<Vpc> vpcs = new ArrayList<>();
            for (Fields f : w.objects("vpcs")) {
                vpcs.add(new Vpc(name(f, "vpc"), cidr(f, "cidr"), f.strings("secondaryCidrs"), f.bool("ipv6", false),
                        f.bool("dnsSupport", true), f.bool("dnsHostnames", false), f.stringMap("tags", false)));
                f.strings("secondaryCidrs").forEach(c -> checkCidr(f.at("secondaryCidrs"), c));
                f.done();
            }
            if (vpcs.isEmpty()) {
                throw w.problem("\"vpcs\" must list at least one VPC");
            }
            List<Subnet> subnets = new ArrayList<>();
            for (Fields f : w.objects("subnets")) {
                String subnetName = name(f, "subnet");
                String vpc = vpcOf(f, vpcs);
                String zone = f.string("zone");
                if (!zone.startsWith(LocalAws.REGION.id()) || zone.length() != LocalAws.REGION.id().length() + 1) {
                    throw f.at("zone").problem("\"" + zone + "\" is not a zone of " + LocalAws.REGION.id() + " (e.g. "
                            + LocalAws.REGION.id() + "a)");
                }
                boolean later = f.bool("later", false);
                subnets.add(new Subnet(subnetName, vpc, cidr(f, "cidr"), zone, f.choice("route", "isolated", ROUTES),
                        f.stringMap("tags", false), later));
                if (later) {
                    pending.add(subnetName);
                }
                f.done();
            }
            for (Subnet s : subnets) {
                if (s.route().startsWith("ipv6-") && vpcs.stream().noneMatch(v -> v.name().equals(s.vpc()) && v.ipv6())) {
                    throw new ScenarioException(file + ": world.subnets: " + s.name() + " has route " + s.route() + ", but VPC "
                            + s.vpc() + " has no IPv6 block (\"ipv6\": true)");
                }
                if (s.route().equals("nat") && subnets.stream().noneMatch(p -> p.vpc().equals(s.vpc()) && p.route().equals("public")
                        && !p.later())) {
                    throw new ScenarioException(file + ": world.subnets: " + s.name() + " has route nat, but VPC " + s.vpc()
                            + " has no public subnet to hold the NAT gateway");
                }
            }
            List<SecurityGroup> groups = new ArrayList<>();
            for (Fields f : w.objects("securityGroups")) {
                groups.add(new SecurityGroup(name(f, "securityGroup"), vpcOf(f, vpcs), f.strings("httpsFrom")));
                f.strings("httpsFrom").forEach(c -> checkCidr(f.at("httpsFrom"), c));
                f.done();
            }
            List<Endpoint> endpoints = new ArrayList<>();
            for (Fields f : w.objects("endpoints")) {
                String endpointName = name(f, "endpoint");
                String vpc = vpcOf(f, vpcs);
                String service = f.string("service");
                String type = f.choice("type", "s3".equals(service) ? "Gateway" : "Interface", List.of("Interface", "Gateway"));
                List<String> inSubnets = f.strings("subnets");
                inSubnets.forEach(s -> created(f.at("subnets"), ref(f.at("subnets"), s, "subnet")));
                List<String> inGroups = f.strings("securityGroups");
                inGroups.forEach(g -> ref(f.at("securityGroups"), g, "securityGroup"));
                endpoints.add(new Endpoint(endpointName, vpc, service, type, f.bool("privateDns", "Interface".equals(type)),
                        inSubnets, inGroups, f.stringMap("tags", false)));
                f.done();
            }
            List<Role> roles = new ArrayList<>();
            for (Fields f : w.objects("roles")) {
                roles.add(new Role(name(f, "role"), f.strings("managedPolicies")));
                f.done();
            }
            List<InstanceProfile> profiles = new ArrayList<>();
            for (Fields f : w.objects("instanceProfiles")) {
                String profileName = name(f, "instanceProfile");
                profiles.add(new InstanceProfile(profileName, ref(f, f.string("role"), "role")));
                f.done();
            }
            List<Instance> instances = new ArrayList<>();
            for (Fields f : w.objects("instances")) {
                String instanceName = name(f, "instance");
                String subnet = created(f.at("subnet"), ref(f, f.string("subnet"), "subnet"));
                String state = f.optString("state", "running");
                if (state.equals("pending")) {
                    throw f.at("state").problem("moto cannot hold an instance in \"pending\"; seed it \"running\" and send "
                            + "the state-change event with \"set\": {\"detail.state\": \"pending\"} instead");
                }
                state = f.choice("state", "running", List.of("running", "stopped"));
                String profile = f.optString("profile", "none");
                if (!profile.equals("none") && !profile.equals("stack")) {
                    ref(f.at("profile"), profile, "instanceProfile");
                }
                boolean later = f.bool("later", false);
                boolean inPublicSubnet = subnets.stream().anyMatch(s -> s.name().equals(subnet) && s.route().equals("public"));
                instances.add(new Instance(instanceName, subnet, state, profile,
                        f.choice("metadata", "enabled", List.of("enabled", "disabled")), f.bool("publicIp", inPublicSubnet),
                        f.stringMap("tags", false), later));
                if (later) {
                    pending.add(instanceName);
                }
                f.done();
            }
            w.done();
            return new World(List.copyOf(vpcs), List.copyOf(subnets), List.copyOf(groups), List.copyOf(endpoints),
                    List.copyOf(roles), List.copyOf(profiles), List.copyOf(instances));
        }

        private Step step(Fields f) {
            List<String> given = Stream.of("event", "input", "do").filter(f::has).toList();
            if (given.size() != 1) {
                throw f.problem("needs exactly one of \"event\" (a file of events/), \"input\" (inline) or \"do\" (an action); has "
                        + given);
            }
            return switch (given.getFirst()) {
                case "do" -> action(f);
                default -> trigger(f);
            };
        }

        private Trigger trigger(Fields f) {
            int number = ++triggers;
            String eventFile = f.optString("event", null);
            String subnet = null;
            String instance = null;
            Map<String, JsonNode> set = new LinkedHashMap<>();
            JsonNode input = null;
            if (eventFile != null) {
                JsonNode event = readEvent(f, eventFile);
                subnet = f.optString("subnet", null);
                instance = f.optString("instance", null);
                if (subnet != null && instance != null) {
                    throw f.problem("give \"subnet\" or \"instance\", not both");
                }
                if (subnet != null) {
                    created(f.at("subnet"), ref(f.at("subnet"), subnet, "subnet"));
                    // A route call names the subnet's route table instead.
                    ScenarioWorld.sampleId(event, ScenarioWorld.SUBNET_ID).or(() -> ScenarioWorld.sampleId(event, ScenarioWorld.ROUTE_TABLE_ID))
                            .orElseThrow(() -> f.at("event").problem(eventFile + " holds no subnet or route table id to replace"));
                }
                if (instance != null) {
                    created(f.at("instance"), ref(f.at("instance"), instance, "instance"));
                    ScenarioWorld.sampleId(event, ScenarioWorld.INSTANCE_ID).orElseThrow(() -> f.at("event").problem(
                            eventFile + " holds no instance id to replace"));
                }
                JsonNode setNode = f.node("set");
                if (setNode != null && !setNode.isNull()) {
                    if (!setNode.isObject()) {
                        throw f.at("set").problem("must be an object of dotted paths to values");
                    }
                    setNode.properties().forEach(e -> {
                        checkPath(f.at("set"), e.getKey());
                        set.put(e.getKey(), e.getValue());
                    });
                }
            } else {
                input = f.node("input");
                placeholders(f.at("input"), input);
                Matcher names = PLACEHOLDER.matcher(input.toString());
                while (names.find()) {
                    created(f.at("input"), names.group(1));
                }
            }
            boolean concurrent = f.bool("concurrent", false);
            Fields expectFields = f.object("expect");
            TriggerExpectation expect = expectFields == null ? TriggerExpectation.SUCCEEDED : triggerExpectation(expectFields);
            if (concurrent && expect.mutations() != null) {
                throw f.at("expect.mutations").problem("cannot be told apart between concurrent executions; expect the world instead");
            }
            f.done();
            return new Trigger(number, eventFile, subnet, instance, Collections.unmodifiableMap(set), input, concurrent, expect);
        }

        private TriggerExpectation triggerExpectation(Fields f) {
            String status = f.choice("status", "SUCCEEDED", List.of("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"));
            List<String> path = states(f, "path");
            List<String> notEntered = states(f, "notEntered");
            List<String> retried = states(f, "retried");
            List<String> caught = states(f, "caught");
            Map<String, JsonNode> output = new LinkedHashMap<>();
            JsonNode outputNode = f.node("output");
            if (outputNode != null && !outputNode.isNull()) {
                if (!outputNode.isObject()) {
                    throw f.at("output").problem("must be an object of dotted paths to expected values");
                }
                outputNode.properties().forEach(e -> {
                    checkPath(f.at("output"), e.getKey());
                    placeholders(f.at("output." + e.getKey()), e.getValue());
                    output.put(e.getKey(), e.getValue());
                });
            }
            Map<String, String> matches = new LinkedHashMap<>();
            f.stringMap("matches", false).forEach((key, regex) -> {
                checkPath(f.at("matches"), key);
                try {
                    Pattern.compile(PLACEHOLDER.matcher(regex).replaceAll("x"));
                } catch (java.util.regex.PatternSyntaxException e) {
                    throw f.at("matches." + key).problem("\"" + regex + "\" is not a regular expression: " + e.getDescription());
                }
                placeholders(f.at("matches." + key), MAPPER.getNodeFactory().textNode(regex));
                matches.put(key, regex);
            });
            List<String> present = f.strings("present");
            present.forEach(p -> checkPath(f.at("present"), p));
            List<String> findings = f.strings("findings");
            List<String> mutations = f.has("mutations") ? f.strings("mutations") : null;
            f.done();
            return new TriggerExpectation(status, path, notEntered, retried, caught, Collections.unmodifiableMap(output),
                    Collections.unmodifiableMap(matches), present, findings, mutations);
        }

        private Action action(Fields f) {
            String kind = f.choice("do", null, Action.KINDS);
            Action action = switch (kind) {
                case "create-subnet" -> {
                    String subnet = ref(f.at("subnet"), f.string("subnet"), "subnet");
                    if (!pending.remove(subnet)) {
                        throw f.at("subnet").problem("\"" + subnet + "\" exists already: only a subnet marked \"later\" "
                                + "is created by an action, once");
                    }
                    yield new Action(kind, subnet, null, null, null, null);
                }
                case "delete-subnet", "drop-gateway-route-table", "delete-default-route" -> new Action(kind, createdSubnet(f), null, null,
                        null, null);
                case "terminate-instance", "remove-instance-profile" -> new Action(kind, null,
                        created(f.at("instance"), ref(f, f.string("instance"), "instance")), null, null, null);
                case "launch-instance" -> {
                    String instance = ref(f.at("instance"), f.string("instance"), "instance");
                    if (!pending.remove(instance)) {
                        throw f.at("instance").problem("\"" + instance + "\" runs already: only an instance marked \"later\" "
                                + "is launched by an action, once");
                    }
                    yield new Action(kind, null, instance, null, null, null);
                }
                case "revoke-https" -> {
                    String after = after(f);
                    String group = f.string("group");
                    if (group.equals("managed")) {
                        yield new Action(kind, null, null, group, ref(f, f.string("vpc"), "vpc"), after);
                    }
                    yield new Action(kind, null, null, ref(f.at("group"), group, "securityGroup"), null, after);
                }
                case "delete-endpoint" -> new Action(kind, null, null, null, ref(f, f.string("vpc"), "vpc"), null, 0, null, null, null,
                        f.choice("service", null, Action.SERVICES), null);
                case "remove-endpoint-zone" -> new Action(kind, createdSubnet(f), null, null, null, null, 0, null, null, null,
                        f.choice("service", null, Action.INTERFACE_SERVICES), null);
                case "disable-dns-attribute" -> new Action(kind, null, null, null, ref(f, f.string("vpc"), "vpc"), null, 0, null,
                        null, null, null, f.choice("attribute", null, Action.DNS_ATTRIBUTES));
                default -> {
                    String function = f.string("function");
                    if (!functions.contains(function)) {
                        throw f.at("function").problem("\"" + function + "\" is not a function of the workflow (known: "
                                + String.join(", ", new TreeSet<>(functions)) + ")");
                    }
                    Integer times = f.optInt("times");
                    String error = f.string("error");
                    Faults.check(f.at("error"), error);
                    yield new Action(kind, null, null, null, null, function, times == null ? 1 : Math.max(1, times), error,
                            f.optString("message", "injected by the scenario"), null, null, null);
                }
            };
            f.done();
            return action;
        }

        /** The action's subnet, which must exist at this point. */
        private String createdSubnet(Fields f) {
            return created(f.at("subnet"), ref(f.at("subnet"), f.string("subnet"), "subnet"));
        }

        /** {@code "when": "after FUNCTION"}: the function's name; null when absent (at once). */
        private String after(Fields f) {
            String when = f.optString("when", null);
            if (when == null) {
                return null;
            }
            String function = when.startsWith("after ") ? when.substring("after ".length()).trim() : "";
            if (!functions.contains(function)) {
                throw f.at("when").problem("\"" + when + "\" is not \"after FUNCTION\" with a function of the workflow (known: "
                        + String.join(", ", new TreeSet<>(functions)) + ")");
            }
            return function;
        }

        private WorldExpectation worldExpectation(Fields f, World world) {
            Map<String, VpcExpectation> vpcs = new LinkedHashMap<>();
            f.objectsByName("vpcs").forEach((vpcName, v) -> {
                ref(v, vpcName, "vpc");
                Map<String, EndpointExpectation> endpoints = new LinkedHashMap<>();
                v.objectsByName("endpoints").forEach((service, e) -> {
                    String seeded = e.optString("seeded", null);
                    if (seeded != null) {
                        ref(e.at("seeded"), seeded, "endpoint");
                    }
                    List<String> routeTablesOf = null;
                    if (e.has("routeTablesOf")) {
                        routeTablesOf = e.strings("routeTablesOf");
                        routeTablesOf.forEach(s -> created(e.at("routeTablesOf"), ref(e.at("routeTablesOf"), s, "subnet")));
                    }
                    endpoints.put(service, new EndpointExpectation(e.optInt("count"), e.optBool("privateDns"),
                            e.has("zones") ? e.strings("zones") : null, e.optBool("managedGroup"), seeded, routeTablesOf));
                    e.done();
                });
                vpcs.put(vpcName, new VpcExpectation(v.optBool("dnsSupport"), v.optBool("dnsHostnames"),
                        v.optInt("managedSecurityGroups"), Collections.unmodifiableMap(endpoints)));
                v.done();
            });
            Map<String, SubnetExpectation> subnets = new LinkedHashMap<>();
            f.objectsByName("subnets").forEach((subnetName, s) -> {
                created(s, ref(s, subnetName, "subnet"));
                subnets.put(subnetName, new SubnetExpectation(s.stringMap("tags", true)));
                s.done();
            });
            Map<String, InstanceExpectation> instances = new LinkedHashMap<>();
            f.objectsByName("instances").forEach((instanceName, i) -> {
                ref(i, instanceName, "instance");
                String profile = i.optString("profile", null);
                if (profile != null && !profile.equals("none") && !profile.equals("stack")) {
                    ref(i.at("profile"), profile, "instanceProfile");
                }
                instances.put(instanceName, new InstanceExpectation(
                        i.has("state") ? i.choice("state", null, List.of("pending", "running", "stopping", "stopped",
                                "shutting-down", "terminated")) : null,
                        profile,
                        i.has("pingStatus") ? i.choice("pingStatus", null, List.of("Online", "ConnectionLost", "Inactive", "none"))
                                : null));
                i.done();
            });
            f.done();
            return new WorldExpectation(Collections.unmodifiableMap(vpcs), Collections.unmodifiableMap(subnets),
                    Collections.unmodifiableMap(instances));
        }

        // ---------------------------------------------------------------- checks

        private String name(Fields f, String kind) {
            String value = f.string("name");
            if (!NAME.matcher(value).matches()) {
                throw f.at("name").problem("\"" + value + "\" is not a usable name (letters, digits, '.', '_', '-')");
            }
            String previous = kinds.putIfAbsent(value, kind);
            if (previous != null) {
                throw f.at("name").problem("\"" + value + "\" is already the name of a " + previous
                        + " (names are unique across the world: ${" + value + "} must mean one id)");
            }
            return value;
        }

        /** The VPC a resource is in: "vpc", or the only VPC of the world. */
        private String vpcOf(Fields f, List<Vpc> vpcs) {
            String vpc = f.optString("vpc", null);
            if (vpc == null) {
                if (vpcs.size() != 1) {
                    throw f.problem("\"vpc\" is required when the world has several VPCs");
                }
                return vpcs.getFirst().name();
            }
            return ref(f.at("vpc"), vpc, "vpc");
        }

        /** Fails when {@code name} is a later subnet not created yet, or a later instance not launched yet, at this point. */
        private String created(Fields f, String name) {
            if (pending.contains(name)) {
                if ("instance".equals(kinds.get(name))) {
                    throw f.problem("instance \"" + name + "\" is marked later and not launched yet here (a launch-instance action "
                            + "must come first)");
                }
                throw f.problem("subnet \"" + name + "\" is marked later and not created yet here (a create-subnet action "
                        + "must come first; instances and endpoints cannot use it)");
            }
            return name;
        }

        private String ref(Fields f, String value, String kind) {
            String actual = kinds.get(value);
            if (!kind.equals(actual)) {
                List<String> candidates = kinds.entrySet().stream().filter(e -> e.getValue().equals(kind)).map(Map.Entry::getKey)
                        .sorted().toList();
                throw f.problem("\"" + value + "\" is not the name of a " + kind + " of the world"
                        + (actual == null ? "" : " (it names a " + actual + ")") + "; " + kind + "s: " + candidates);
            }
            return value;
        }

        private void placeholders(Fields f, JsonNode node) {
            if (node == null) {
                return;
            }
            if (node.isTextual()) {
                Matcher m = PLACEHOLDER.matcher(node.asText());
                while (m.find()) {
                    if (!kinds.containsKey(m.group(1))) {
                        throw f.problem("${" + m.group(1) + "} names nothing in the world (names: " + new TreeSet<>(kinds.keySet()) + ")");
                    }
                }
            }
            node.forEach(child -> placeholders(f, child));
            if (node.isObject()) {
                node.fieldNames().forEachRemaining(key -> placeholders(f, MAPPER.getNodeFactory().textNode(key)));
            }
        }

        private List<String> states(Fields f, String key) {
            List<String> names = f.strings(key);
            for (String state : names) {
                if (!states.contains(state)) {
                    throw f.at(key).problem("\"" + state + "\" is not a state of " + LocalWorkflow.DEFINITION + " (states: "
                            + String.join(", ", new TreeSet<>(states)) + ")");
                }
            }
            return names;
        }

        private JsonNode readEvent(Fields f, String eventFile) {
            Path root = LocalWorkflow.repositoryRoot();
            Path path = root.resolve(eventFile).normalize();
            if (!path.startsWith(root.resolve("events")) || !Files.isRegularFile(path)) {
                throw f.at("event").problem("\"" + eventFile + "\" is not a file of events/ (give it as events/NAME.json)");
            }
            try {
                return MAPPER.readTree(path.toFile());
            } catch (IOException e) {
                throw f.at("event").problem(eventFile + " is not valid JSON: " + e.getMessage());
            }
        }

        private static String cidr(Fields f, String key) {
            return checkCidr(f.at(key), f.string(key));
        }

        private static String checkCidr(Fields f, String cidr) {
            if (!cidr.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}")) {
                throw f.problem("\"" + cidr + "\" is not an IPv4 CIDR block");
            }
            return cidr;
        }

        private static void checkPath(Fields f, String path) {
            if (path.isEmpty() || Stream.of(path.split("\\.", -1)).anyMatch(String::isEmpty)) {
                throw f.problem("\"" + path + "\" is not a dotted path (e.g. subnets.0.route)");
            }
        }
    }

    /** Every state name of the definition, nested ones (Map, Parallel) included. */
    static Set<String> stateNames() {
        Path definition = LocalWorkflow.repositoryRoot().resolve(LocalWorkflow.DEFINITION);
        try {
            Set<String> names = new HashSet<>();
            collectStates(MAPPER.readTree(definition.toFile()), names);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + definition, e);
        }
    }

    private static void collectStates(JsonNode machine, Set<String> names) {
        machine.path("States").properties().forEach(e -> {
            names.add(e.getKey());
            JsonNode state = e.getValue();
            for (String nested : List.of("Iterator", "ItemProcessor")) {
                if (state.has(nested)) {
                    collectStates(state.get(nested), names);
                }
            }
            state.path("Branches").forEach(branch -> collectStates(branch, names));
        });
    }

    /** The workflow's functions: its FunctionArn substitutions. */
    static Set<String> functionNames() {
        Set<String> names = new TreeSet<>();
        LocalWorkflow.substitutions().keySet().stream().filter(k -> k.endsWith("FunctionArn"))
                .forEach(k -> names.add(k.substring(0, k.length() - "FunctionArn".length())));
        return names;
    }

    /** The stack settings the functions read: every variable events/env.json sets (it mirrors template.yaml). */
    static Set<String> settingNames() {
        Path env = LocalWorkflow.repositoryRoot().resolve("events/env.json");
        try {
            Set<String> names = new TreeSet<>();
            MAPPER.readTree(env.toFile()).forEach(function -> function.fieldNames().forEachRemaining(names::add));
            names.remove("JAVA_TOOL_OPTIONS");
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + env, e);
        }
    }
}
