package ssmreach.result;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ssmreach.contract.Action;
import ssmreach.contract.Endpoint;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.ErrorInfo;
import ssmreach.contract.Finding;
import ssmreach.contract.Route;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.Target;
import ssmreach.contract.VpcClassification;
import ssmreach.contract.VpcReadiness;
import ssmreach.contract.WorkflowState;
import ssmreach.core.Json;
import ssmreach.TestInputs;
import ssmreach.core.Settings;

/** Workflow states as the Report state receives them. */
final class ResultFixtures {
    static final String VPC = "vpc-0a1b2c3d4e5f60718";
    static final String SUBNET = "subnet-0123456789abcdef0";
    static final String PUBLIC_SUBNET = "subnet-0fedcba9876543210";
    static final Instant NOW = Instant.parse("2026-11-28T14:05:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private ResultFixtures() {}

    static Settings settings(Map<String, String> extra) {
        return TestInputs.settings(extra);
    }

    static Target target(boolean dryRun) {
        return new Target("CreateSubnet", VPC, List.of(SUBNET), dryRun, null);
    }

    static SubnetClassification isolated(Map<String, String> tags) {
        return new SubnetClassification(SUBNET, "us-east-1a", "10.0.1.0/24", "rtb-0main", false, Route.ISOLATED, null,
                SubnetStatus.IN_SCOPE, "no default route", tags);
    }

    static SubnetClassification publicSubnet(Map<String, String> tags) {
        return new SubnetClassification(PUBLIC_SUBNET, "us-east-1b", "10.0.2.0/24", "rtb-0pub", true, Route.PUBLIC, "igw-0123",
                SubnetStatus.OUT_OF_SCOPE, "default route to igw-0123", tags);
    }

    static SubnetClassification withStatus(SubnetClassification s, SubnetStatus status) {
        return new SubnetClassification(s.subnetId(), s.availabilityZone(), s.cidrBlock(), s.routeTableId(), s.explicitRouteTable(),
                s.route(), s.defaultRouteTarget(), status, s.reason(), s.tags());
    }

    static VpcClassification classification(SubnetClassification... subnets) {
        boolean any = List.of(subnets).stream().anyMatch(SubnetClassification::inScope);
        return new VpcClassification(VPC, List.of("10.0.0.0/16"), any, List.of(subnets), Map.of("us-east-1a", SUBNET),
                List.of("rtb-0main"), Map.of(SUBNET, "us-east-1a"));
    }

    static Endpoint endpoint(String id, String service, String state) {
        return new Endpoint(id, service, "Interface", state, true, List.of("us-east-1a", "us-east-1b"), List.of(), true);
    }

    static List<Endpoint> availableEndpoints() {
        return List.of(endpoint("vpce-0ssm", "ssm", "available"), endpoint("vpce-0msg", "ssmmessages", "available"),
                endpoint("vpce-0ec2msg", "ec2messages", "available"),
                new Endpoint("vpce-0s3", "s3", "Gateway", "available", false, List.of(), List.of("rtb-0main"), true));
    }

    static List<Action> createdThreeInTwoZones() {
        return List.of(new Action("CreateVpcEndpoint", "vpce-0ssm", "ssm", false, 2),
                new Action("CreateVpcEndpoint", "vpce-0msg", "ssmmessages", false, 2),
                new Action("CreateVpcEndpoint", "vpce-0ec2msg", "ec2messages", false, 2),
                Action.of("CreateVpcEndpoint", "vpce-0s3", "s3 gateway", false));
    }

    /**
     * The state as the workflow hands it on: built through JSON, like the Report state receives it, so
     * that parts a test leaves out are simply absent.
     */
    static WorkflowState state(Target target, VpcClassification classification, VpcReadiness vpc, EndpointsReport endpoints,
                               ErrorInfo error) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("target", target);
        state.put("classification", classification);
        state.put("vpc", vpc);
        state.put("endpoints", endpoints);
        state.put("error", error);
        state.values().removeIf(java.util.Objects::isNull);
        return Json.MAPPER.convertValue(state, WorkflowState.class);
    }

    static WorkflowState remediated() {
        return state(target(false), classification(isolated(Map.of())), new VpcReadiness("sg-0aaaaaaaaaaaaaaa1", true, List.of(), List.of()),
                new EndpointsReport(availableEndpoints(), createdThreeInTwoZones(), List.of(), true, true), null);
    }

    static WorkflowState compliant() {
        return state(target(false), classification(isolated(Map.of())), new VpcReadiness("sg-0aaaaaaaaaaaaaaa1", true, List.of(), List.of()),
                new EndpointsReport(availableEndpoints(), List.of(), List.of(), true, true), null);
    }

    static WorkflowState withFindings(WorkflowState state, Finding... findings) {
        EndpointsReport e = state.endpoints();
        return state(state.target(), state.classification(), state.vpc(),
                new EndpointsReport(e.endpoints(), e.actions(), List.of(findings), e.allAvailable(), e.settled()), state.error());
    }
}
