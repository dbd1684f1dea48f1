package ssmreach.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import ssmreach.contract.Target;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Settings;

/**
 * Turns what started the workflow into a {@link Target}: the CloudTrail CreateSubnet event or
 * the EC2 instance state-change event as EventBridge delivers them; a batch of such events as the
 * pipe from the trigger queue delivers them (a JSON array of SQS messages whose bodies are the
 * events); one VPC's group of a batch ({@code {"target": {...}}}, what a batch execution starts
 * for each VPC); the CloudTrail route calls ({@code CreateRoute}, {@code ReplaceRoute},
 * {@code DeleteRoute}, {@code AssociateRouteTable}, {@code ReplaceRouteTableAssociation},
 * {@code DisassociateRouteTable}), which name a route table that the batch's next state resolves to
 * its subnets (alone, such an event is a batch of one); a sweep of the Region ({@code {"sweep": true}},
 * by hand or on the stack's schedule; a page after the first also names where it goes on and the
 * totals so far); or a manual input ({@code subnetId}, {@code vpcId} or {@code instanceId};
 * optional {@code dryRun}, and {@code diagnose} with an instance). Everything is checked here,
 * before any AWS call: unknown fields, id formats, account and Region.
 */
public final class TriggerParser {
    static final Pattern SUBNET_ID = Pattern.compile("subnet-[0-9a-f]{8}([0-9a-f]{9})?");
    static final Pattern VPC_ID = Pattern.compile("vpc-[0-9a-f]{8}([0-9a-f]{9})?");
    static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}([0-9a-f]{9})?");
    static final Pattern ROUTE_TABLE_ID = Pattern.compile("rtb-[0-9a-f]{8}([0-9a-f]{9})?");
    static final Pattern ASSOCIATION_ID = Pattern.compile("rtbassoc-[0-9a-f]{8}([0-9a-f]{9})?");
    /** The CloudTrail calls that may change a subnet's route (its table's routes, or which table it uses). */
    static final Set<String> ROUTE_EVENTS = Set.of("CreateRoute", "ReplaceRoute", "DeleteRoute", "AssociateRouteTable",
            "ReplaceRouteTableAssociation", "DisassociateRouteTable");
    private static final Set<String> MANUAL_FIELDS = Set.of("subnetId", "vpcId", "instanceId", "dryRun", "diagnose");
    /** A sweep's input: by hand or on the stack's schedule {@code {"sweep": true}}; a page after the first also names where it goes on. */
    private static final Set<String> SWEEP_FIELDS = Set.of("sweep", "dryRun", "after", TriggerParser.SWEPT_SO_FAR, TriggerParser.STARTED_BY);
    /** The totals of a sweep's pages so far, which the execution of one page hands on to the next. */
    public static final String SWEPT_SO_FAR = "sweptSoFar";
    private static final Set<String> TARGET_FIELDS = Set.of("subnetId", "vpcId", "instanceId");
    /** A Target as the batch execution writes it (diagnose is always false there). */
    private static final Set<String> GROUP_FIELDS = Set.of("source", "vpcId", "subnetIds", "instanceIds", "dryRun", "diagnose");
    private static final Set<String> GROUP_SOURCES = Set.of("CreateSubnet", "InstanceRunning", Target.ROUTE_CHANGE, "events", Target.SWEEP);
    /** The field Step Functions adds to the input of an execution another one started. */
    private static final String STARTED_BY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID";
    /** As many events as the pipe delivers at most in one batch (its BatchSize). */
    static final int MAX_BATCH = 100;
    private static final String CLOUDTRAIL = "AWS API Call via CloudTrail";
    private static final String STATE_CHANGE = "EC2 Instance State-change Notification";

    private final Settings settings;

    public TriggerParser(Settings settings) {
        this.settings = settings;
    }

    public Target parse(JsonNode input) {
        if (input != null && input.isArray()) {
            return fromBatch(input);
        }
        if (input == null || !input.isObject()) {
            throw new InvalidInputException("Input must be a JSON object: an EventBridge event or "
                    + "{\"subnetId\": \"subnet-…\"} / {\"vpcId\": \"vpc-…\"}");
        }
        if (input.has("target")) {
            return fromGroup(input);
        }
        if (input.has("sweep")) {
            return fromSweep(input);
        }
        if (!input.has("detail-type") && !input.has("source")) {
            return fromManual(input);
        }
        Target target = fromEvent(input);
        // A route change names a route table, not subnets: the batch's GroupTargets resolves it.
        return Target.ROUTE_CHANGE.equals(target.source()) && target.ignored() == null
                ? new Target(Target.BATCH, null, List.of(), List.of(), settings.dryRun(), false, null, List.of(target))
                : target;
    }

    /**
     * A batch from the trigger queue: each SQS message's body is an EventBridge event, parsed as
     * one would be alone (a bad one fails the whole batch, before any AWS call). Failed calls and
     * instances not running drop out; the rest are grouped by VPC in the next state.
     */
    private Target fromBatch(JsonNode records) {
        if (records.isEmpty() || records.size() > MAX_BATCH) {
            throw new InvalidInputException("A batch holds 1 to " + MAX_BATCH + " messages, not " + records.size());
        }
        List<Target> targets = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            JsonNode record = records.get(i);
            if (!record.isObject() || !record.path("body").isTextual()) {
                throw new InvalidInputException("Batch message " + i + " is not an SQS message with a body");
            }
            JsonNode event;
            try {
                event = ssmreach.core.Json.MAPPER.readTree(record.get("body").asText());
            } catch (java.io.IOException e) {
                throw new InvalidInputException("Batch message " + i + ": the body is not JSON");
            }
            if (event == null || !event.isObject() || !(event.has("detail-type") || event.has("source"))) {
                throw new UnsupportedEventException("Batch message " + i + ": the body is not an EventBridge event");
            }
            Target target = fromEvent(event);
            if (target.ignored() == null) {
                targets.add(target);
            } else {
                ignored.add(target.ignored());
            }
        }
        if (targets.isEmpty()) {
            return Target.ignored(Target.BATCH, settings.dryRun(), String.join("; ", ignored.stream().distinct().limit(5).toList()));
        }
        return new Target(Target.BATCH, null, List.of(), List.of(), settings.dryRun(), false, null, targets);
    }

    /** One VPC's group of a batch, as the batch execution hands it to the execution it starts for that VPC. */
    private Target fromGroup(JsonNode input) {
        List<String> unknown = new ArrayList<>();
        input.fieldNames().forEachRemaining(name -> {
            if (!"target".equals(name) && !STARTED_BY.equals(name)) {
                unknown.add(abbreviate(name));
            }
        });
        JsonNode group = input.get("target");
        if (!unknown.isEmpty() || !group.isObject()) {
            throw new InvalidInputException("A group input is {\"target\": {source, vpcId, subnetIds, instanceIds, dryRun}}; it has "
                    + (unknown.isEmpty() ? "a target that is not an object" : "unknown field(s) " + unknown));
        }
        group.fieldNames().forEachRemaining(name -> {
            if (!GROUP_FIELDS.contains(name)) {
                unknown.add(abbreviate(name));
            }
        });
        if (!unknown.isEmpty()) {
            throw new InvalidInputException("Unknown field(s) of the group's target: " + unknown);
        }
        String source = text(group, "source");
        if (!GROUP_SOURCES.contains(source)) {
            throw new InvalidInputException("The group's source must be one of " + GROUP_SOURCES + ", not '" + abbreviate(source) + "'");
        }
        List<String> subnets = ids(group.path("subnetIds"), SUBNET_ID, "target.subnetIds");
        List<String> instances = ids(group.path("instanceIds"), INSTANCE_ID, "target.instanceIds");
        if (subnets.isEmpty() && instances.isEmpty() && !Target.SWEEP.equals(source)) {
            throw new InvalidInputException("The group names no subnet and no instance");
        }
        if (flag(group, "diagnose")) {
            throw new InvalidInputException("A group is remediated, not diagnosed: start {\"instanceId\": …, \"diagnose\": true}");
        }
        return new Target(source, id(group.get("vpcId"), VPC_ID, "target.vpcId"), subnets, instances,
                settings.dryRun() || flag(group, "dryRun"), false, null);
    }

    /** A list of ids (absent: none), at most a batch's worth. */
    private static List<String> ids(JsonNode node, Pattern pattern, String field) {
        if (node.isMissingNode()) {
            return List.of();
        }
        if (!node.isArray() || node.size() > MAX_BATCH) {
            throw new InvalidInputException(field + " must be a list of at most " + MAX_BATCH + " ids");
        }
        List<String> ids = new ArrayList<>();
        node.forEach(id -> ids.add(id(id, pattern, field)));
        return ids.stream().distinct().toList();
    }

    private Target fromEvent(JsonNode event) {
        String source = text(event, "source");
        String detailType = text(event, "detail-type");
        JsonNode detail = event.path("detail");
        if ("aws.ec2".equals(source) && STATE_CHANGE.equals(detailType)) {
            return fromStateChange(event, detail);
        }
        String eventName = detail.path("eventName").asText("");
        if (!"aws.ec2".equals(source) || !CLOUDTRAIL.equals(detailType)
                || !("CreateSubnet".equals(eventName) || ROUTE_EVENTS.contains(eventName))
                || !"ec2.amazonaws.com".equals(detail.path("eventSource").asText(""))) {
            throw new UnsupportedEventException("Unsupported event: source '" + abbreviate(source) + "', detail-type '"
                    + abbreviate(detailType) + "', eventName '" + abbreviate(eventName)
                    + "'; expected a CloudTrail CreateSubnet or route call or an EC2 state-change");
        }
        checkHome(text(event, "account"), text(event, "region"));
        if (ROUTE_EVENTS.contains(eventName)) {
            return fromRouteCall(eventName, detail);
        }
        if (detail.hasNonNull("errorCode")) {
            return Target.ignored("CreateSubnet", settings.dryRun(),
                    "the CreateSubnet call failed (" + abbreviate(detail.get("errorCode").asText()) + "): no subnet was created");
        }
        JsonNode subnet = detail.path("responseElements").path("subnet");
        String subnetId = id(subnet.path("subnetId"), SUBNET_ID, "detail.responseElements.subnet.subnetId");
        String vpcId = subnet.hasNonNull("vpcId") ? id(subnet.get("vpcId"), VPC_ID, "detail.responseElements.subnet.vpcId") : null;
        return new Target("CreateSubnet", vpcId, List.of(subnetId), settings.dryRun(), null);
    }

    /**
     * A route call: the route table whose subnets may have changed route (for AssociateRouteTable
     * the subnet it associated, for ReplaceRouteTableAssociation the new association, which may be
     * the VPC's main one). DisassociateRouteTable names only an association that no longer exists
     * once the call succeeded, so neither the subnet nor its VPC can be told: it is ignored with
     * that reason. An edge association (a gateway, not a subnet) changes no subnet's route.
     */
    private Target fromRouteCall(String eventName, JsonNode detail) {
        if (detail.hasNonNull("errorCode")) {
            return Target.ignored(Target.ROUTE_CHANGE, settings.dryRun(), "the " + eventName + " call failed ("
                    + abbreviate(detail.get("errorCode").asText()) + "): no route changed");
        }
        JsonNode request = detail.path("requestParameters");
        if (!request.isObject()) {
            throw new InvalidInputException("detail.requestParameters of a " + eventName + " call must be an object");
        }
        if ("DisassociateRouteTable".equals(eventName)) {
            String association = id(request.get("associationId"), ASSOCIATION_ID, "detail.requestParameters.associationId");
            return Target.ignored(Target.ROUTE_CHANGE, settings.dryRun(), "DisassociateRouteTable of " + association
                    + " names neither the subnet nor its VPC: the subnet is evaluated by the next trigger that names it");
        }
        String table = id(request.get("routeTableId"), ROUTE_TABLE_ID, "detail.requestParameters.routeTableId");
        return switch (eventName) {
            case "AssociateRouteTable" -> {
                if (!request.has("subnetId")) {
                    yield Target.ignored(Target.ROUTE_CHANGE, settings.dryRun(), "AssociateRouteTable of " + table
                            + " with a gateway (an edge association) changes no subnet's route");
                }
                yield Target.routeChange(table, List.of(id(request.get("subnetId"), SUBNET_ID, "detail.requestParameters.subnetId")),
                        null, settings.dryRun());
            }
            case "ReplaceRouteTableAssociation" -> Target.routeChange(table, List.of(), id(detail.path("responseElements")
                    .get("newAssociationId"), ASSOCIATION_ID, "detail.responseElements.newAssociationId"), settings.dryRun());
            default -> Target.routeChange(table, List.of(), null, settings.dryRun());
        };
    }

    /** Only {@code running} instances get a profile; a pending one comes back as running. */
    private Target fromStateChange(JsonNode event, JsonNode detail) {
        checkHome(text(event, "account"), text(event, "region"));
        String instanceId = id(detail.get("instance-id"), INSTANCE_ID, "detail.instance-id");
        String state = text(detail, "state");
        if (!"running".equals(state)) {
            return Target.ignored("InstanceRunning", settings.dryRun(), "instance " + instanceId + " is '"
                    + abbreviate(state) + "', not running");
        }
        return new Target("InstanceRunning", null, List.of(), List.of(instanceId), settings.dryRun(), false, null);
    }

    /** A sweep of every VPC of the Region; {@code after} and the totals so far come with a page after the first. */
    private Target fromSweep(JsonNode input) {
        List<String> unknown = new ArrayList<>();
        input.fieldNames().forEachRemaining(name -> {
            if (!SWEEP_FIELDS.contains(name)) {
                unknown.add(abbreviate(name));
            }
        });
        if (!unknown.isEmpty()) {
            throw new InvalidInputException("Unknown field(s) " + unknown + "; a sweep's input is {\"sweep\": true}, optionally with dryRun");
        }
        if (!flag(input, "sweep")) {
            throw new InvalidInputException("sweep must be true to sweep the Region");
        }
        String after = input.has("after") ? id(input.get("after"), VPC_ID, "after") : null;
        if (input.has(SWEPT_SO_FAR) != (after != null)) {
            throw new InvalidInputException("after and " + SWEPT_SO_FAR + " come together, from the page before");
        }
        if (after != null) {
            try {
                ssmreach.core.Json.MAPPER.treeToValue(input.get(SWEPT_SO_FAR), ssmreach.contract.RegionReport.Totals.class);
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new InvalidInputException(SWEPT_SO_FAR + " is not a sweep's totals");
            }
        }
        return Target.sweep(settings.dryRun() || flag(input, "dryRun"), after);
    }

    private Target fromManual(JsonNode input) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> names = input.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MANUAL_FIELDS.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidInputException("Unknown field(s) " + unknown.stream().map(TriggerParser::abbreviate).toList()
                    + "; a manual input has subnetId, vpcId or instanceId, and optionally dryRun (and diagnose)");
        }
        boolean dryRun = settings.dryRun() || flag(input, "dryRun");
        boolean diagnose = flag(input, "diagnose");
        List<String> given = TARGET_FIELDS.stream().filter(input::has).sorted().toList();
        if (given.size() != 1) {
            throw new InvalidInputException("A manual input needs exactly one of subnetId, vpcId and instanceId; it has " + given);
        }
        if (diagnose && !input.has("instanceId")) {
            throw new InvalidInputException("diagnose applies to an instanceId");
        }
        return switch (given.getFirst()) {
            case "subnetId" -> new Target("manual", null, List.of(id(input.get("subnetId"), SUBNET_ID, "subnetId")), dryRun, null);
            case "vpcId" -> new Target("manual", id(input.get("vpcId"), VPC_ID, "vpcId"), List.of(), dryRun, null);
            default -> new Target("manual", null, List.of(), List.of(id(input.get("instanceId"), INSTANCE_ID, "instanceId")),
                    dryRun, diagnose, null);
        };
    }

    private static boolean flag(JsonNode input, String field) {
        if (!input.has(field)) {
            return false;
        }
        if (!input.get(field).isBoolean()) {
            throw new InvalidInputException(field + " must be true or false, not " + abbreviate(input.get(field).toString()));
        }
        return input.get(field).booleanValue();
    }

    private void checkHome(String account, String region) {
        if (!settings.accountId().isEmpty() && !settings.accountId().equals(account)) {
            throw new ForeignResourceException("Event from account '" + abbreviate(account) + "'; ssm-reach acts in "
                    + settings.accountId() + " only");
        }
        if (!settings.region().equals(region)) {
            throw new ForeignResourceException("Event from Region '" + abbreviate(region) + "'; ssm-reach acts in "
                    + settings.region() + " only");
        }
    }

    private static String id(JsonNode node, Pattern pattern, String field) {
        if (node == null || !node.isTextual()) {
            throw new InvalidInputException(field + " must be a string id, not " + abbreviate(String.valueOf(node)));
        }
        String value = node.asText();
        if (!pattern.matcher(value).matches()) {
            throw new InvalidInputException(field + " '" + abbreviate(value) + "' is not a valid id (" + pattern + ")");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.asText() : "";
    }

    /** Keeps hostile or huge input out of error messages and logs. */
    static String abbreviate(String value) {
        String printable = value.replaceAll("[^\\x20-\\x7E]", "?");
        return printable.length() <= 64 ? printable : printable.substring(0, 61) + "...";
    }
}
