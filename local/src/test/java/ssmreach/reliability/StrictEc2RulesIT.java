package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateVpcEndpointRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;
import ssmreach.local.FaultInjector;
import ssmreach.local.FaultInjector.Kind;
import ssmreach.local.LocalAws;
import ssmreach.local.StrictEc2Rules;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.local.World;

/** The strictness proxy's endpoint rules and faults, called with the SDK as the functions call them. */
@ExtendWith(LocalAwsExtension.class)
class StrictEc2RulesIT {
    private static final String SSM = "com.amazonaws.us-east-1.ssm";

    private final LocalAws aws;
    private final World world;
    private StrictStack stack;

    StrictEc2RulesIT(LocalAws aws) {
        this.aws = aws;
        this.world = new World(aws.inspectEc2());
    }

    @AfterEach
    void tearDown() {
        if (stack != null) {
            stack.close();
        }
    }

    private Ec2Client strict(StrictEc2Rules.Config config, FaultInjector faults) {
        stack = new StrictStack(aws, config, faults);
        return stack.ec2();
    }

    private static Consumer<CreateVpcEndpointRequest.Builder> endpoint(String vpc, String token, boolean privateDns, String... subnets) {
        return r -> r.vpcId(vpc).serviceName(SSM).vpcEndpointType(VpcEndpointType.INTERFACE).privateDnsEnabled(privateDns)
                .subnetIds(subnets).clientToken(token);
    }

    private List<VpcEndpoint> endpoints(String vpc) {
        return aws.inspectEc2().describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints();
    }

    @Test
    void sameClientTokenAndParametersAnswersTheFirstEndpointAgain() {
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, FaultInjector.none());
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");

        String first = ec2.createVpcEndpoint(endpoint(vpc, "token-1", true, subnet)).vpcEndpoint().vpcEndpointId();
        String second = ec2.createVpcEndpoint(endpoint(vpc, "token-1", true, subnet)).vpcEndpoint().vpcEndpointId();

        assertEquals(first, second);
        assertEquals(1, endpoints(vpc).size());
    }

    @Test
    void sameClientTokenWithOtherParametersIsAMismatch() {
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, FaultInjector.none());
        String vpc = world.vpc("10.0.0.0/16");
        String a = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String b = world.subnet(vpc, "10.0.2.0/24", "us-east-1b");
        ec2.createVpcEndpoint(endpoint(vpc, "token-1", true, a));

        Ec2Exception e = assertThrows(Ec2Exception.class, () -> ec2.createVpcEndpoint(endpoint(vpc, "token-1", true, b)));

        assertEquals("IdempotentParameterMismatch", e.awsErrorDetails().errorCode());
        assertEquals(1, endpoints(vpc).size());
    }

    @Test
    void secondPrivateDnsEndpointForAServiceConflicts() {
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, FaultInjector.none());
        String vpc = world.vpc("10.0.0.0/16");
        String a = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        ec2.createVpcEndpoint(endpoint(vpc, "token-1", true, a));

        Ec2Exception e = assertThrows(Ec2Exception.class, () -> ec2.createVpcEndpoint(endpoint(vpc, "token-2", true, a)));

        assertEquals("InvalidParameter", e.awsErrorDetails().errorCode());
        assertEquals("private-dns-enabled cannot be set because there is already a conflicting DNS domain for " + SSM
                + " in the VPC " + vpc, e.awsErrorDetails().errorMessage());
        ec2.createVpcEndpoint(endpoint(vpc, "token-3", false, a));
        assertEquals(2, endpoints(vpc).size(), "without private DNS a second one is allowed");
    }

    @Test
    void oneSubnetPerZoneOnCreateAndModify() {
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, FaultInjector.none());
        String vpc = world.vpc("10.0.0.0/16");
        String a1 = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String a2 = world.subnet(vpc, "10.0.2.0/24", "us-east-1a");
        String b = world.subnet(vpc, "10.0.3.0/24", "us-east-1b");

        Ec2Exception create = assertThrows(Ec2Exception.class, () -> ec2.createVpcEndpoint(endpoint(vpc, "t1", true, a1, a2)));
        assertEquals("DuplicateSubnetsInSameZone", create.awsErrorDetails().errorCode());
        assertTrue(endpoints(vpc).isEmpty());

        String id = ec2.createVpcEndpoint(endpoint(vpc, "t2", true, a1)).vpcEndpoint().vpcEndpointId();
        Ec2Exception modify = assertThrows(Ec2Exception.class, () -> ec2.modifyVpcEndpoint(r -> r.vpcEndpointId(id).addSubnetIds(a2)));
        assertEquals("DuplicateSubnetsInSameZone", modify.awsErrorDetails().errorCode());
        ec2.modifyVpcEndpoint(r -> r.vpcEndpointId(id).addSubnetIds(b));
        assertEquals(2, endpoints(vpc).getFirst().subnetIds().size());
    }

    @Test
    void secondGatewayOnARoutedTableIsRouteAlreadyExists() {
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, FaultInjector.none());
        String vpc = world.vpc("10.0.0.0/16");
        String routed = world.mainRouteTable(vpc);
        String other = world.ownRouteTable(vpc, world.subnet(vpc, "10.0.1.0/24", "us-east-1a"));
        String first = ec2.createVpcEndpoint(gateway(vpc, "t1", routed)).vpcEndpoint().vpcEndpointId();

        Ec2Exception create = assertThrows(Ec2Exception.class, () -> ec2.createVpcEndpoint(gateway(vpc, "t2", other, routed)));
        assertEquals("RouteAlreadyExists", create.awsErrorDetails().errorCode());
        assertEquals(List.of(first), endpoints(vpc).stream().map(VpcEndpoint::vpcEndpointId).toList());
        assertEquals(first, ec2.createVpcEndpoint(gateway(vpc, "t1", routed)).vpcEndpoint().vpcEndpointId(),
                "a retry with the first token is answered, not refused");

        String second = ec2.createVpcEndpoint(gateway(vpc, "t3", other)).vpcEndpoint().vpcEndpointId();
        Ec2Exception modify = assertThrows(Ec2Exception.class, () -> ec2.modifyVpcEndpoint(r -> r.vpcEndpointId(second).addRouteTableIds(routed)));
        assertEquals("RouteAlreadyExists", modify.awsErrorDetails().errorCode());
        assertEquals(2, endpoints(vpc).size(), "a gateway on another table is allowed");
    }

    private static Consumer<CreateVpcEndpointRequest.Builder> gateway(String vpc, String token, String... routeTables) {
        return r -> r.vpcId(vpc).serviceName("com.amazonaws.us-east-1.s3").vpcEndpointType(VpcEndpointType.GATEWAY)
                .routeTableIds(routeTables).clientToken(token);
    }

    @Test
    void newEndpointIsPendingThenAvailable() throws InterruptedException {
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS.withPendingFor(Duration.ofMillis(1500)), FaultInjector.none());
        String vpc = world.vpc("10.0.0.0/16");
        String a = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");

        VpcEndpoint created = ec2.createVpcEndpoint(endpoint(vpc, "t1", true, a)).vpcEndpoint();

        assertEquals("pending", created.stateAsString());
        assertEquals("pending", ec2.describeVpcEndpoints(r -> r.vpcEndpointIds(created.vpcEndpointId())).vpcEndpoints().getFirst().stateAsString());
        Thread.sleep(1600);
        assertEquals("available", ec2.describeVpcEndpoints(r -> r.vpcEndpointIds(created.vpcEndpointId())).vpcEndpoints().getFirst().stateAsString());
    }

    @Test
    void lenientConfigurationIsMotoAsItIs() {
        Ec2Client ec2 = strict(StrictEc2Rules.Config.LENIENT, FaultInjector.none());
        String vpc = world.vpc("10.0.0.0/16");
        String a = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");

        ec2.createVpcEndpoint(endpoint(vpc, "token-1", true, a));
        ec2.createVpcEndpoint(endpoint(vpc, "token-1", true, a));

        assertEquals(2, endpoints(vpc).size(), "moto ignores the token: the rules are what makes the difference");
    }

    @Test
    void throttlingIsRequestLimitExceededAndTheSdkRetriesIt() {
        FaultInjector faults = new FaultInjector(7).rates(new FaultInjector.Rates(1, 0, 0, 0, 0, 0, Duration.ZERO, true));
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, faults);

        Ec2Exception e = assertThrows(Ec2Exception.class, () -> ec2.describeVpcs());

        assertEquals("RequestLimitExceeded", e.awsErrorDetails().errorCode());
        assertEquals(503, e.statusCode());
        assertTrue(e.isThrottlingException());
        assertEquals(faults.requests(), faults.injected(Kind.THROTTLED));
        assertEquals(faults.requests() - 1, faults.sdkRetries(), "every attempt after the first is counted as an SDK retry");
        assertTrue(faults.sdkRetries() >= 2, "the SDK retried: " + faults.sdkRetries());
    }

    @Test
    void serverErrorsDroppedConnectionsAndScriptedFailures() {
        FaultInjector faults = new FaultInjector(7);
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, faults);

        faults.rates(new FaultInjector.Rates(0, 1, 0, 0, 0, 0, Duration.ZERO, true));
        assertEquals(500, assertThrows(Ec2Exception.class, ec2::describeVpcs).statusCode());
        faults.rates(new FaultInjector.Rates(0, 0, 1, 0, 0, 0, Duration.ZERO, true));
        assertEquals(503, assertThrows(Ec2Exception.class, ec2::describeVpcs).statusCode());
        faults.rates(new FaultInjector.Rates(0, 0, 0, 1, 0, 0, Duration.ZERO, true));
        assertThrows(SdkClientException.class, ec2::describeVpcs);
        assertTrue(faults.injected(Kind.DROPPED) > 0);

        faults.rates(FaultInjector.Rates.NONE);
        faults.failNext(r -> "DescribeVpcs".equals(r.action()), 1, new FaultInjector.ScriptedError(400, "UnauthorizedOperation", "no"));
        assertEquals("UnauthorizedOperation", assertThrows(Ec2Exception.class, ec2::describeVpcs).awsErrorDetails().errorCode());
        ec2.describeVpcs();
        assertEquals(1, faults.injected(Kind.SCRIPTED));
    }

    @Test
    void latencyIsAddedAndOtherServicesAreSparedWhenEc2Only() {
        FaultInjector faults = new FaultInjector(7).rates(new FaultInjector.Rates(0, 0, 0, 0, 0, 1, Duration.ofMillis(200), true));
        Ec2Client ec2 = strict(StrictEc2Rules.Config.AWS, faults);

        for (int i = 0; i < 5; i++) {
            ec2.describeVpcs();
        }

        assertEquals(5, faults.injected(Kind.LATENCY));
    }

    @Test
    void theSameSeedInjectsTheSameFaultsIntoTheSameSequenceOfCalls() {
        List<java.util.Map<Kind, Integer>> runs = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            FaultInjector faults = new FaultInjector(42).rates(FaultInjector.Rates.of(0.3, 0.1, 0.5, Duration.ofMillis(5)));
            try (StrictStack own = new StrictStack(aws, StrictEc2Rules.Config.AWS, faults)) {
                Ec2Client ec2 = own.ec2();
                for (int i = 0; i < 20; i++) {
                    try {
                        ec2.describeVpcs();
                    } catch (Ec2Exception e) {
                        // retries exhausted: part of the sequence too
                    }
                }
            }
            runs.add(faults.counts());
        }
        assertEquals(runs.get(0), runs.get(1));
        assertTrue(runs.get(0).get(Kind.THROTTLED) > 0);
    }
}
