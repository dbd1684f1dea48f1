package ssmreach.result;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import ssmreach.contract.Action;
import ssmreach.contract.Endpoint;
import ssmreach.contract.Finding;
import ssmreach.contract.Result;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.WorkflowState;
import ssmreach.core.ResourceGoneException;
import ssmreach.core.Settings;

/** Sums an execution's state up into the result document; pure. */
final class ResultBuilder {
    /** Hours in an average month, as AWS prices monthly figures. */
    static final BigDecimal HOURS_PER_MONTH = BigDecimal.valueOf(730);

    private final Settings settings;
    private final Clock clock;

    ResultBuilder(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    Result build(WorkflowState state) {
        var target = state.target();
        var classification = state.classification();
        List<Action> actions = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
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
        int zonesAdded = actions.stream().mapToInt(Action::endpointZonesAdded).sum();
        BigDecimal monthlyCost = settings.hourlyEndpointPriceUsd().multiply(HOURS_PER_MONTH).multiply(BigDecimal.valueOf(zonesAdded));
        List<Result.SubnetResult> subnets = classification == null ? List.of() : classification.subnets().stream()
                .map(s -> new Result.SubnetResult(s.subnetId(), s.availabilityZone(), s.route(), s.status(), s.reason())).toList();
        return new Result(outcome(state, actions, findings, endpoints), target == null ? null : target.source(),
                target != null && target.dryRun(), classification == null ? (target == null ? null : target.vpcId()) : classification.vpcId(),
                subnets, actions, endpoints, findings, zonesAdded, monthlyCost, state.error(), clock.instant().toString());
    }

    private static String outcome(WorkflowState state, List<Action> actions, List<Finding> findings, List<Endpoint> endpoints) {
        if (state.error() != null) {
            return ResourceGoneException.class.getName().equals(state.error().error()) ? "gone" : "failed";
        }
        if (state.target() != null && state.target().ignored() != null) {
            return "ignored";
        }
        var classification = state.classification();
        if (classification == null || classification.subnets().stream().allMatch(s -> s.status() == SubnetStatus.GONE)) {
            return "gone";
        }
        if (classification.subnets().stream().noneMatch(SubnetClassification::inScope)) {
            return "skipped";
        }
        if (state.target().dryRun()) {
            return "planned";
        }
        boolean blocked = findings.stream().anyMatch(f -> f.severity() == Severity.ERROR)
                || endpoints.isEmpty() || !endpoints.stream().allMatch(Endpoint::available);
        if (blocked) {
            return "incomplete";
        }
        return actions.isEmpty() ? "compliant" : "remediated";
    }
}
