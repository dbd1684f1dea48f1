package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ssmreach.result.ResultFixtures.CLOCK;
import static ssmreach.result.ResultFixtures.NOW;
import static ssmreach.result.ResultFixtures.PUBLIC_SUBNET;
import static ssmreach.result.ResultFixtures.SUBNET;
import static ssmreach.result.ResultFixtures.VPC;
import static ssmreach.result.ResultFixtures.availableEndpoints;
import static ssmreach.result.ResultFixtures.classification;
import static ssmreach.result.ResultFixtures.compliant;
import static ssmreach.result.ResultFixtures.createdThreeInTwoZones;
import static ssmreach.result.ResultFixtures.endpoint;
import static ssmreach.result.ResultFixtures.isolated;
import static ssmreach.result.ResultFixtures.publicSubnet;
import static ssmreach.result.ResultFixtures.remediated;
import static ssmreach.result.ResultFixtures.settings;
import static ssmreach.result.ResultFixtures.state;
import static ssmreach.result.ResultFixtures.target;
import static ssmreach.result.ResultFixtures.withFindings;
import static ssmreach.result.ResultFixtures.withStatus;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import ssmreach.contract.Action;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.ErrorInfo;
import ssmreach.contract.Finding;
import ssmreach.contract.Result;
import ssmreach.contract.Route;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.Target;
import ssmreach.contract.VpcReadiness;
import ssmreach.contract.WorkflowState;

class ResultBuilderTest {
    private final ResultBuilder builder = new ResultBuilder(settings(Map.of()), CLOCK);

    @Test
    void endpointsCreatedAndAvailableIsRemediated() {
        Result result = builder.build(remediated());

        assertEquals("remediated", result.outcome());
        assertEquals("CreateSubnet", result.source());
        assertEquals(VPC, result.vpcId());
        assertFalse(result.dryRun());
        assertEquals(List.of(new Result.SubnetResult(SUBNET, "us-east-1a", Route.ISOLATED, SubnetStatus.IN_SCOPE, "no default route")),
                result.subnets());
        assertEquals(createdThreeInTwoZones(), result.actions());
        assertEquals(availableEndpoints(), result.endpoints());
        assertEquals(NOW.toString(), result.evaluatedAt());
        assertNull(result.error());
    }

    @Test
    void nothingToDoIsCompliant() {
        Result result = builder.build(compliant());

        assertEquals("compliant", result.outcome());
        assertEquals(0, result.endpointZonesAdded());
        assertEquals(0, BigDecimal.ZERO.compareTo(result.monthlyCostAddedUsd()));
    }

    @Test
    void onlyVpcPreparationIsStillRemediated() {
        WorkflowState base = compliant();
        WorkflowState state = state(base.target(), base.classification(), new VpcReadiness("sg-0aaaaaaaaaaaaaaa1", true,
                List.of(Action.of("ModifyVpcAttribute", VPC, "enableDnsHostnames on", false)), List.of()), base.endpoints(), null);

        Result result = builder.build(state);

        assertEquals("remediated", result.outcome());
        assertEquals(List.of("ModifyVpcAttribute"), result.actions().stream().map(Action::operation).toList());
    }

    @Test
    void dryRunIsPlanned() {
        WorkflowState base = remediated();
        List<Action> planned = createdThreeInTwoZones().stream()
                .map(a -> new Action(a.operation(), a.resource(), a.detail(), true, a.endpointZonesAdded())).toList();
        WorkflowState state = state(target(true), base.classification(), base.vpc(),
                new EndpointsReport(List.of(endpoint(null, "ssm", "planned")), planned, List.of(), false, true), null);

        Result result = builder.build(state);

        assertEquals("planned", result.outcome());
        assertTrue(result.dryRun());
        assertEquals(6, result.endpointZonesAdded(), "a dry run shows what the plan would cost");
    }

    @Test
    void noSubnetInScopeIsSkipped() {
        WorkflowState state = state(target(false), classification(publicSubnet(Map.of()),
                withStatus(isolated(Map.of()), SubnetStatus.OPTED_OUT)), null, null, null);

        assertEquals("skipped", builder.build(state).outcome());
    }

    @Test
    void failedCreateSubnetCallIsIgnored() {
        Target ignored = new Target("CreateSubnet", null, List.of(), false, "the CreateSubnet call failed (Client.InvalidSubnet.Conflict)");

        Result result = builder.build(state(ignored, null, null, null, null));

        assertEquals("ignored", result.outcome());
        assertEquals(List.of(), result.subnets());
        assertNull(result.vpcId());
    }

    @Test
    void resourceGoneErrorIsGone() {
        ErrorInfo gone = new ErrorInfo("ssmreach.core.ResourceGoneException", "{\"errorMessage\":\"VPC vpc-0a1b2c3d4e5f60718 no longer exists\"}");
        WorkflowState base = remediated();

        Result result = builder.build(state(base.target(), base.classification(), base.vpc(), null, gone));

        assertEquals("gone", result.outcome());
        assertEquals(gone, result.error());
    }

    @Test
    void allTargetsGoneInTheClassificationIsGone() {
        WorkflowState state = state(target(false), classification(withStatus(isolated(Map.of()), SubnetStatus.GONE)), null, null, null);

        assertEquals("gone", builder.build(state).outcome());
    }

    @Test
    void otherErrorIsFailed() {
        ErrorInfo error = new ErrorInfo("ssmreach.core.AwsFailureException", "UnauthorizedOperation: You are not authorized");

        Result result = builder.build(state(target(false), null, null, null, error));

        assertEquals("failed", result.outcome());
        assertEquals(error, result.error());
        assertEquals(VPC, result.vpcId(), "from the target when nothing was classified");
    }

    @Test
    void invalidInputBeforeAnyTargetIsFailed() {
        ErrorInfo error = new ErrorInfo("ssmreach.trigger.UnsupportedEventException", "Unsupported event");

        Result result = builder.build(state(null, null, null, null, error));

        assertEquals("failed", result.outcome());
        assertNull(result.source());
        assertNull(result.vpcId());
        assertFalse(result.dryRun());
    }

    @Test
    void endpointStillPendingIsIncompleteWithAFinding() {
        WorkflowState base = remediated();
        WorkflowState state = state(base.target(), base.classification(), base.vpc(), new EndpointsReport(
                List.of(endpoint("vpce-0ssm", "ssm", "pending")), base.endpoints().actions(), List.of(), false, false), null);

        Result result = builder.build(state);

        assertEquals("incomplete", result.outcome());
        assertEquals(List.of("ENDPOINT_NOT_AVAILABLE"), result.findings().stream().map(Finding::code).toList());
        assertEquals("vpce-0ssm", result.findings().getFirst().resource());
    }

    @Test
    void errorFindingIsIncomplete() {
        WorkflowState state = withFindings(remediated(), new Finding("ENDPOINT_FAILED", Severity.ERROR, "vpce-0old", "failed", "delete it"));

        assertEquals("incomplete", builder.build(state).outcome());
    }

    @Test
    void warningFindingAloneDoesNotMakeItIncomplete() {
        WorkflowState state = withFindings(remediated(), new Finding("SERVICE_ZONE_UNSUPPORTED", Severity.WARNING, "us-east-1c", "m", "f"));

        Result result = builder.build(state);

        assertEquals("remediated", result.outcome());
        assertEquals(1, result.findings().size());
    }

    @Test
    void noEndpointAtAllIsIncomplete() {
        WorkflowState base = compliant();
        WorkflowState state = state(base.target(), base.classification(), base.vpc(),
                new EndpointsReport(List.of(), List.of(), List.of(), true, true), null);

        assertEquals("incomplete", builder.build(state).outcome());
    }

    @Test
    void vpcFindingsAndActionsComeFirst() {
        Finding dns = new Finding("VPC_DNS_ATTRIBUTE_OFF", Severity.ERROR, VPC, "off", "turn it on");
        WorkflowState base = remediated();
        WorkflowState state = state(base.target(), base.classification(), new VpcReadiness("sg-0aaaaaaaaaaaaaaa1", false,
                List.of(Action.of("AuthorizeSecurityGroupIngress", "sg-0aaaaaaaaaaaaaaa1", "TCP 443 from 10.0.0.0/16", false)),
                List.of(dns)), base.endpoints(), null);

        Result result = builder.build(state);

        assertEquals("AuthorizeSecurityGroupIngress", result.actions().getFirst().operation());
        assertEquals(List.of(dns), result.findings());
        assertEquals("incomplete", result.outcome());
    }

    @Test
    void monthlyCostIsZonesTimesPriceTimes730() {
        Result result = builder.build(remediated());

        assertEquals(6, result.endpointZonesAdded());
        assertEquals(0, new BigDecimal("43.80").compareTo(result.monthlyCostAddedUsd()), result.monthlyCostAddedUsd().toPlainString());
    }

    @Test
    void monthlyCostFollowsThePriceSetting() {
        ResultBuilder pricier = new ResultBuilder(settings(Map.of("HOURLY_ENDPOINT_PRICE_USD", "0.013")), CLOCK);

        Result result = pricier.build(remediated());

        assertEquals(0, new BigDecimal("56.94").compareTo(result.monthlyCostAddedUsd()), result.monthlyCostAddedUsd().toPlainString());
    }

    @Test
    void extendingAnEndpointCostsItsNewZones() {
        WorkflowState base = compliant();
        WorkflowState state = state(base.target(), base.classification(), base.vpc(), new EndpointsReport(availableEndpoints(),
                List.of(new Action("ModifyVpcEndpoint", "vpce-0ssm", "ssm: add us-east-1b", false, 1)), List.of(), true, true), null);

        Result result = builder.build(state);

        assertEquals(1, result.endpointZonesAdded());
        assertEquals(0, new BigDecimal("7.30").compareTo(result.monthlyCostAddedUsd()));
    }

    @Test
    void subnetsListEveryTargetWithItsVerdict() {
        WorkflowState base = remediated();
        WorkflowState state = state(base.target(), classification(isolated(Map.of()), publicSubnet(Map.of())), base.vpc(),
                base.endpoints(), null);

        Result result = builder.build(state);

        assertEquals(List.of(SUBNET, PUBLIC_SUBNET), result.subnets().stream().map(Result.SubnetResult::subnetId).toList());
        assertEquals(Route.PUBLIC, result.subnets().get(1).route());
        assertEquals(SubnetStatus.OUT_OF_SCOPE, result.subnets().get(1).status());
    }
}
