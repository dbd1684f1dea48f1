package ssmreach.result;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import ssmreach.contract.Action;
import ssmreach.contract.Diagnosis;
import ssmreach.contract.Endpoint;
import ssmreach.contract.ErrorInfo;
import ssmreach.contract.Finding;
import ssmreach.contract.InstanceRegistration;
import ssmreach.contract.ProfileResult;
import ssmreach.contract.Result;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.WorkflowState;
import ssmreach.contract.InstanceSelection;
import ssmreach.contract.RegionReport;
import ssmreach.contract.Tally;
import ssmreach.contract.Target;
import ssmreach.contract.VpcOutcome;
import ssmreach.contract.VpcSummary;
import ssmreach.core.InvalidInputException;
import ssmreach.instance.SelectInstancesHandler;
import ssmreach.trigger.TriggerParser;
import ssmreach.core.Json;
import ssmreach.core.ResourceGoneException;
import ssmreach.core.Settings;

/** Sums an execution's state up into the result document; pure. */
final class ResultBuilder {
    /** Hours in an average month, as AWS prices monthly figures. */
    static final BigDecimal HOURS_PER_MONTH = BigDecimal.valueOf(730);
    /** A cause quoted in a finding is cut here: findings are read by people and published in events. */
    private static final int MAX_CAUSE = 400;
    /** Instances of the VPC's subnets out of scope, in a VPC's tally. */
    static final String NOT_IN_SCOPE = "not-in-scope";
    /**
     * The changes a VPC's summary lists one by one: a sweep's page of 100 summaries stays near 100 KB,
     * well within Step Functions' 256 KB state, however many instances a VPC has.
     */
    static final int SUMMARY_ACTIONS = 10;

    private final Settings settings;
    private final Clock clock;

    ResultBuilder(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    Result build(WorkflowState state) {
        var target = state.target();
        if (target != null && Target.SWEEP.equals(target.source()) && target.vpcId() == null) {
            return sweep(state);
        }
        var classification = state.classification();
        List<Action> actions = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        if (classification != null) {
            findings.addAll(classification.findings());
        }
        if (state.vpc() != null) {
            actions.addAll(state.vpc().actions());
            findings.addAll(state.vpc().findings());
        }
        List<Endpoint> endpoints = List.of();
        if (state.endpoints() != null) {
            actions.addAll(state.endpoints().actions());
            findings.addAll(state.endpoints().findings());
            endpoints = state.endpoints().endpoints();
            endpoints.stream().filter(Endpoint::pending).forEach(e -> findings.add(new Finding("ENDPOINT_NOT_AVAILABLE",
                    Severity.WARNING, e.id(), "The " + e.service() + " endpoint was still " + e.state() + " when the wait ended",
                    "Run ssm-reach again for this subnet once the endpoint is available")));
        }
        List<ProfileResult> profiles = state.profiles() == null ? List.of() : state.profiles();
        profiles.forEach(p -> {
            actions.addAll(p.actions());
            findings.addAll(p.findings());
            if (p.error() != null) {
                findings.add(new Finding("PROFILE_STEP_FAILED", Severity.ERROR, p.instanceId(),
                        "The profile step failed for this instance: " + p.error().error() + ": " + causeMessage(p.error()),
                        "Fix the cause, then run ssm-reach again with {\"instanceId\": \"" + p.instanceId() + "\"}"));
            }
        });
        if (state.diagnosis() != null) {
            state.diagnosis().instances().forEach(d -> findings.addAll(d.findings()));
        }
        if (state.instances() != null && state.instances().deferred() > 0) {
            findings.add(new Finding("INSTANCES_DEFERRED", Severity.WARNING, classification == null ? null : classification.vpcId(),
                    state.instances().deferred() + " more running instances of the target subnets were left for a later run: one "
                            + "execution takes on at most " + state.instances().instances().size() + ", those without a profile first",
                    "Run ssm-reach again for the same subnets or VPC: each run takes on the next ones"));
        }
        List<Result.InstanceResult> instances = instances(state, profiles);
        int zonesAdded = actions.stream().mapToInt(Action::endpointZonesAdded).sum();
        BigDecimal monthlyCost = monthly(zonesAdded);
        List<Result.SubnetResult> subnets = classification == null ? List.of() : classification.subnets().stream()
                .map(s -> new Result.SubnetResult(s.subnetId(), s.availabilityZone(), s.route(), s.status(), s.reason())).toList();
        return new Result(outcome(state, actions, findings, endpoints, instances), target == null ? null : target.source(),
                target != null && target.dryRun(), classification == null ? (target == null ? null : target.vpcId()) : classification.vpcId(),
                subnets, actions, endpoints, instances, findings, zonesAdded, monthlyCost, failure(state.error()),
                clock.instant().toString(), classification == null ? null
                        : summary(subnets, actions, endpoints, instances, findings, zonesAdded, monthlyCost, state.instances()), null);
    }

    /** What a sweep keeps of a VPC's result: counts, and each change as one line. */
    private VpcSummary summary(List<Result.SubnetResult> subnets, List<Action> actions, List<Endpoint> endpoints,
                               List<Result.InstanceResult> instances, List<Finding> findings, int zonesAdded,
                               BigDecimal monthlyCost, InstanceSelection selection) {
        Map<String, Integer> bySubnet = new TreeMap<>();
        subnets.forEach(s -> bySubnet.merge((s.route() == null ? "unknown" : s.route().name().toLowerCase()) + "/"
                + s.status().name().toLowerCase().replace('_', '-'), 1, Integer::sum));
        Map<String, Integer> byRegistration = new TreeMap<>();
        instances.forEach(i -> byRegistration.merge(i.profileAction() == null || !i.profileAction().startsWith("skipped: ")
                ? i.registration() : i.profileAction().startsWith(SelectInstancesHandler.OUT_OF_SCOPE, "skipped: ".length())
                        ? NOT_IN_SCOPE : "skipped", 1, Integer::sum));
        if (selection != null && selection.notInScope() > 0) {
            byRegistration.merge(NOT_IN_SCOPE, selection.notInScope(), Integer::sum);
        }
        Map<String, Integer> byCode = new TreeMap<>();
        findings.forEach(f -> byCode.merge(f.code(), 1, Integer::sum));
        // The interface endpoints in place (a dry run's planned ones have no id yet: they count as added).
        int zones = endpoints.stream().filter(e -> e.id() != null && !"Gateway".equalsIgnoreCase(e.type()))
                .mapToInt(e -> e.zones().size()).sum();
        Tally tally = new Tally(bySubnet, byRegistration, byCode, zones, monthly(zones), actions.size(),
                (int) actions.stream().filter(Action::repair).count(), zonesAdded, monthlyCost);
        List<String> lines = actions.stream().limit(SUMMARY_ACTIONS).map(ResultBuilder::line).collect(Collectors.toCollection(ArrayList::new));
        if (actions.size() > SUMMARY_ACTIONS) {
            lines.add("and " + (actions.size() - SUMMARY_ACTIONS) + " more: the VPC's own result lists them all");
        }
        return new VpcSummary(tally, lines);
    }

    private static String line(Action action) {
        return action.operation() + " " + action.resource()
                + (action.endpointZonesAdded() > 0 ? " (+" + action.endpointZonesAdded() + " endpoint-zones)" : "");
    }

    private BigDecimal monthly(int endpointZones) {
        return settings.hourlyEndpointPriceUsd().multiply(HOURS_PER_MONTH).multiply(BigDecimal.valueOf(endpointZones));
    }

    /**
     * A sweep's page of VPCs: the Region report, totalled with the pages before it (handed on in
     * the trigger). Its outcome sums its VPCs' up: {@code incomplete} when one failed or is
     * incomplete, else {@code remediated} when one changed, else {@code compliant}.
     */
    private Result sweep(WorkflowState state) {
        Target target = state.target();
        List<RegionReport.Line> lines = (state.vpcs() == null ? List.<VpcOutcome>of() : state.vpcs()).stream()
                .map(v -> new RegionReport.Line(v.vpcId(), v.outcome(), v.execution(), v.summary(),
                        v.error() == null ? null : v.error().error() + ": " + causeMessage(v.error())))
                .toList();
        Map<String, Integer> outcomes = new TreeMap<>();
        lines.forEach(l -> outcomes.merge(l.outcome(), 1, Integer::sum));
        Tally tally = lines.stream().map(l -> l.summary() == null ? Tally.NONE : l.summary().tally()).reduce(Tally.NONE, Tally::plus);
        List<String> skipped = state.groups() == null ? List.of() : state.groups().ignored();
        RegionReport.Totals page = new RegionReport.Totals(lines.size(), outcomes, skipped.size(), tally);
        RegionReport region = new RegionReport(settings.region(), sweptSoFar(state.trigger()).plus(page), lines, skipped,
                state.groups() == null ? null : state.groups().next());
        String outcome = state.error() != null ? "failed" : target.dryRun() ? "planned"
                : outcomes.containsKey("failed") || outcomes.containsKey("incomplete") ? "incomplete"
                : tally.actions() > 0 ? "remediated" : "compliant";
        return new Result(outcome, target.source(), target.dryRun(), null, List.of(), List.of(), List.of(), List.of(), List.of(),
                tally.endpointZonesAdded(), tally.monthlyCostAddedUsd(), failure(state.error()), clock.instant().toString(), null,
                region);
    }

    /** The totals of the pages swept before this one, which the execution that swept them handed on. */
    static RegionReport.Totals sweptSoFar(JsonNode trigger) {
        JsonNode before = trigger == null ? null : trigger.get(TriggerParser.SWEPT_SO_FAR);
        if (before == null) {
            return RegionReport.Totals.NONE;
        }
        try {
            return Json.MAPPER.treeToValue(before, RegionReport.Totals.class);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(TriggerParser.SWEPT_SO_FAR + " is not a sweep's totals: " + e.getOriginalMessage());
        }
    }

    static Result.Failure failure(ErrorInfo error) {
        return error == null ? null : new Result.Failure(error.error(), message(error));
    }

    /** {@link #message} cut for a finding: findings are read by people. */
    static String causeMessage(ErrorInfo error) {
        String message = message(error);
        return message.length() > MAX_CAUSE ? message.substring(0, MAX_CAUSE) + "…" : message;
    }

    /**
     * The message of a caught error. A function error's cause is its payload as JSON text
     * ({"errorMessage", "errorType", "stackTrace"}): its errorMessage. Other causes (States.Timeout,
     * Lambda service faults) are plain text, sometimes led by the error's name, which is dropped.
     */
    static String message(ErrorInfo error) {
        String cause = error.cause();
        if (cause == null) {
            return "no cause given";
        }
        try {
            JsonNode parsed = Json.MAPPER.readTree(cause);
            if (parsed != null && parsed.hasNonNull("errorMessage")) {
                return parsed.get("errorMessage").asText();
            }
            // A child execution that failed (startExecution.sync): its description, with its own error and cause.
            if (parsed != null && parsed.hasNonNull("ExecutionArn") && parsed.hasNonNull("Error")) {
                return parsed.get("Error").asText() + ": " + parsed.path("Cause").asText("no cause given");
            }
        } catch (JsonProcessingException e) {
            // plain text: as it is
        }
        return cause.startsWith(error.error() + ": ") ? cause.substring(error.error().length() + 2) : cause;
    }

    private static List<Result.InstanceResult> instances(WorkflowState state, List<ProfileResult> profiles) {
        Map<String, InstanceRegistration> registrations = state.registration() == null ? Map.of()
                : state.registration().statuses().stream()
                        .collect(Collectors.toMap(InstanceRegistration::instanceId, Function.identity(), (a, b) -> a));
        List<Result.InstanceResult> instances = new ArrayList<>();
        boolean dryRun = state.target() != null && state.target().dryRun();
        for (ProfileResult p : profiles) {
            InstanceRegistration r = registrations.get(p.instanceId());
            String registration = dryRun || !p.registrationExpected() ? "not-awaited"
                    : r == null || r.pingStatus() == null ? "not-registered" : r.pingStatus();
            instances.add(new Result.InstanceResult(p.instanceId(), p.subnetId(), p.state(), p.profileArn(), p.profileAction(),
                    registration, r == null ? null : r.secondsToOnline()));
        }
        if (state.diagnosis() != null && profiles.isEmpty()) {
            for (Diagnosis.InstanceDiagnosis d : state.diagnosis().instances()) {
                instances.add(new Result.InstanceResult(d.instanceId(), null, null, null, null,
                        d.pingStatus() == null ? "not-registered" : d.pingStatus(), null));
            }
        }
        if (state.instances() != null) {
            state.instances().skipped().forEach(s -> instances.add(new Result.InstanceResult(s.instanceId(), null, null, null,
                    "skipped: " + s.reason(), "not-awaited", null)));
        }
        return instances;
    }

    private static String outcome(WorkflowState state, List<Action> actions, List<Finding> findings, List<Endpoint> endpoints,
                                  List<Result.InstanceResult> instances) {
        if (state.error() != null) {
            return ResourceGoneException.class.getName().equals(state.error().error()) ? "gone" : "failed";
        }
        if (state.target() != null && state.target().ignored() != null) {
            return "ignored";
        }
        if (state.target() != null && state.target().diagnose()) {
            return "diagnosed";
        }
        var classification = state.classification();
        if (classification == null || classification.subnets().stream().allMatch(s -> s.status() == SubnetStatus.GONE)) {
            return "gone";
        }
        // In scope: a target subnet, or an instance without a public IPv4 address in a public subnet.
        boolean inScope = classification.anyInScope() || classification.subnets().stream().anyMatch(SubnetClassification::inScope);
        boolean instancesWorked = state.profiles() != null && !state.profiles().isEmpty();
        if (!inScope && !instancesWorked) {
            return "skipped";
        }
        if (state.target().dryRun()) {
            return "planned";
        }
        boolean endpointsBlocked = inScope && (endpoints.isEmpty() || !endpoints.stream().allMatch(Endpoint::available));
        boolean notOnline = instances.stream().anyMatch(i -> !i.registration().equals("not-awaited") && !i.registration().equals("Online"));
        boolean deferred = state.instances() != null && state.instances().deferred() > 0;
        if (endpointsBlocked || notOnline || deferred || findings.stream().anyMatch(f -> f.severity() == Severity.ERROR)) {
            return "incomplete";
        }
        return actions.isEmpty() ? "compliant" : "remediated";
    }
}
