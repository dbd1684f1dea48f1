package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static ssmreach.result.ResultFixtures.CLOCK;
import static ssmreach.result.ResultFixtures.VPC;
import static ssmreach.result.ResultFixtures.settings;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import ssmreach.contract.Action;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.ErrorInfo;
import ssmreach.contract.Finding;
import ssmreach.contract.RegionReport;
import ssmreach.contract.Result;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.Tally;
import ssmreach.contract.Target;
import ssmreach.contract.TargetGroups;
import ssmreach.contract.VpcOutcome;
import ssmreach.contract.VpcSummary;
import ssmreach.contract.WorkflowState;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;

/** What a VPC's result keeps for a sweep (its summary), and the sweep's Region report built from them. */
class RegionReportTest {
    private final ResultBuilder builder = new ResultBuilder(settings(Map.of()), CLOCK);

    @Test
    void aVpcsSummaryCountsItsSubnetsEndpointZonesFindingsAndChanges() {
        WorkflowState state = ResultFixtures.withFindings(ResultFixtures.state(ResultFixtures.target(false),
                        ResultFixtures.classification(ResultFixtures.isolated(Map.of()), ResultFixtures.publicSubnet(Map.of()),
                                ResultFixtures.withStatus(ResultFixtures.isolated(Map.of()), SubnetStatus.OPTED_OUT)),
                        ResultFixtures.remediated().vpc(), ResultFixtures.remediated().endpoints(), null),
                new Finding("NACL_BLOCKS_443", Severity.ERROR, VPC, "x", "y"), new Finding("NACL_BLOCKS_443", Severity.ERROR, VPC, "x", "y"));

        VpcSummary summary = builder.build(state).summary();

        assertEquals(Map.of("isolated/in-scope", 1, "isolated/opted-out", 1, "public/out-of-scope", 1), summary.tally().subnets());
        assertEquals(Map.of("NACL_BLOCKS_443", 2), summary.tally().findings());
        assertEquals(6, summary.tally().endpointZones(), "three interface endpoints in two zones; the gateway is free");
        assertEquals(0, new BigDecimal("43.80").compareTo(summary.tally().endpointMonthlyCostUsd()), "6 x $0.01 x 730 h");
        assertEquals(4, summary.tally().actions());
        assertEquals(6, summary.tally().endpointZonesAdded());
        assertEquals(List.of("CreateVpcEndpoint vpce-0ssm (+2 endpoint-zones)", "CreateVpcEndpoint vpce-0msg (+2 endpoint-zones)",
                "CreateVpcEndpoint vpce-0ec2msg (+2 endpoint-zones)", "CreateVpcEndpoint vpce-0s3"), summary.actions());
    }

    @Test
    void aVpcsSummaryCountsTheChangesThatRepairedWhatWasUndone() {
        WorkflowState base = ResultFixtures.compliant();
        List<Action> actions = List.of(new Action("CreateVpcEndpoint", "vpce-0ssm", "ssm", false, 2)
                        .repairing("endpoint vpce-0old for ssm no longer exists (deleted)"),
                Action.of("AssociateIamInstanceProfile", "i-0000000000000000a", "profile", false));
        WorkflowState state = ResultFixtures.state(base.target(), base.classification(), base.vpc(),
                new EndpointsReport(base.endpoints().endpoints(), actions, List.of(), true, true), null);

        Tally tally = builder.build(state).summary().tally();

        assertEquals(2, tally.actions());
        assertEquals(1, tally.repairs());
    }

    @Test
    void aVpcsSummaryListsTenChangesAndCountsTheRest() {
        List<Action> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add(Action.of("AssociateIamInstanceProfile", String.format("i-%017x", i), "profile", false));
        }
        WorkflowState base = ResultFixtures.compliant();
        WorkflowState state = ResultFixtures.state(base.target(), base.classification(), base.vpc(),
                new EndpointsReport(base.endpoints().endpoints(), many, List.of(), true, true), null);

        VpcSummary summary = builder.build(state).summary();

        assertEquals(25, summary.tally().actions());
        assertEquals(11, summary.actions().size());
        assertEquals("and 15 more: the VPC's own result lists them all", summary.actions().getLast());
    }

    @Test
    void aSweepsResultIsTheRegionReportTotalledWithThePagesBefore() {
        VpcSummary one = new VpcSummary(new Tally(Map.of("isolated/in-scope", 2), Map.of("Online", 3), Map.of(), 6,
                new BigDecimal("43.80"), 4, 1, 6, new BigDecimal("43.80")), List.of("CreateVpcEndpoint vpce-0ssm (+2 endpoint-zones)"));
        VpcSummary other = new VpcSummary(new Tally(Map.of("public/out-of-scope", 1), Map.of("not-in-scope", 2), Map.of(), 0,
                BigDecimal.ZERO, 0, 0, 0, BigDecimal.ZERO), List.of());
        RegionReport.Totals before = new RegionReport.Totals(100, Map.of("compliant", 100), 3,
                new Tally(Map.of("isolated/in-scope", 200), Map.of("Online", 50), Map.of(), 600, new BigDecimal("4380.00"), 0, 0, 0, null));
        WorkflowState state = sweep(Target.sweep(false, "vpc-0000000000000000a"), before,
                new TargetGroups(List.of(), List.of(), List.of("vpc-0000000000000000z: opted out (tag ssm-reach:skip=true)"), 2, null),
                new VpcOutcome("vpc-0000000000000000b", "remediated", "arn:b", one, null),
                new VpcOutcome("vpc-0000000000000000c", "skipped", "arn:c", other, null));

        Result result = builder.build(state);

        assertEquals("remediated", result.outcome());
        assertEquals("Sweep", result.source());
        assertNull(result.vpcId());
        RegionReport region = result.region();
        assertEquals(102, region.total().vpcs());
        assertEquals(Map.of("compliant", 100, "remediated", 1, "skipped", 1), region.total().outcomes());
        assertEquals(4, region.total().skipped());
        assertEquals(Map.of("isolated/in-scope", 202, "public/out-of-scope", 1), region.total().tally().subnets());
        assertEquals(Map.of("Online", 53, "not-in-scope", 2), region.total().tally().instances());
        assertEquals(606, region.total().tally().endpointZones());
        assertEquals(1, region.total().tally().repairs());
        assertEquals(6, result.endpointZonesAdded(), "what this page added");
        assertEquals(List.of("vpc-0000000000000000b", "vpc-0000000000000000c"), region.vpcs().stream().map(RegionReport.Line::vpcId).toList());
        assertEquals(List.of("vpc-0000000000000000z: opted out (tag ssm-reach:skip=true)"), region.skipped());
        assertNull(region.continuesAfter(), "the last page");
        assertEquals("ssm-reach: remediated - sweep of us-east-1 (102 VPCs)", ReportHandler.subject(result));
    }

    @Test
    void aSweepWithAFailedVpcIsIncompleteAndSaysWhy() {
        WorkflowState state = sweep(Target.sweep(false, null), null, new TargetGroups(List.of(), List.of(), List.of(), 2, "vpc-0000000000000000c"),
                new VpcOutcome("vpc-0000000000000000b", "failed", null, null,
                        new ErrorInfo("States.TaskFailed", "{\"errorMessage\": \"the VPC's execution failed\"}")));

        Result result = builder.build(state);

        assertEquals("incomplete", result.outcome());
        assertEquals("States.TaskFailed: the VPC's execution failed", result.region().vpcs().getFirst().error());
        assertEquals("vpc-0000000000000000c", result.region().continuesAfter());
        assertEquals(Tally.NONE, result.region().total().tally());
    }

    @Test
    void aDryRunSweepIsPlanned() {
        assertEquals("planned", builder.build(sweep(Target.sweep(true, null), null, new TargetGroups(List.of(), List.of()))).outcome());
    }

    @Test
    void totalsHandedOnThatAreNotASweepsAreRefused() {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("trigger", Map.of("sweep", true, "after", "vpc-0000000000000000a", "sweptSoFar", Map.of("vpcs", "many")));
        raw.put("target", Target.sweep(false, "vpc-0000000000000000a"));

        assertThrows(InvalidInputException.class, () -> builder.build(Json.MAPPER.convertValue(raw, WorkflowState.class)));
    }

    @Test
    void aSweepsResultWritesNoMetricsOfItsOwnForItsVpcsWroteTheirs() {
        Result result = builder.build(sweep(Target.sweep(false, null), null, new TargetGroups(List.of(), List.of(), List.of(), 2, null),
                new VpcOutcome("vpc-0000000000000000b", "remediated", "arn:b", new VpcSummary(Tally.NONE, List.of()), null)));

        assertEquals(List.of(), Metrics.documents(result, "ssm-reach"));
    }

    private static WorkflowState sweep(Target target, RegionReport.Totals before, TargetGroups groups, VpcOutcome... vpcs) {
        Map<String, Object> trigger = new LinkedHashMap<>(Map.of("sweep", true));
        if (before != null) {
            trigger.put("after", target.after());
            trigger.put("sweptSoFar", before);
        }
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("trigger", trigger);
        state.put("target", target);
        state.put("groups", groups);
        state.put("vpcs", List.of(vpcs));
        return Json.MAPPER.convertValue(state, WorkflowState.class);
    }
}
