package ssmreach.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.SampleEvents;
import ssmreach.local.TriggerDelivery;
import ssmreach.local.World;
import ssmreach.testing.LocalAwsExtension;

/**
 * Events as they reach the workflow in AWS: through the trigger queue and the pipe, in batches.
 * A batch with events of two VPCs runs one execution per VPC; an event the pipe cannot start an
 * execution with ends in the dead-letter queue, and once redriven it is remediated.
 */
@ExtendWith(LocalAwsExtension.class)
class TriggerQueueIT {
    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private LocalWorkflow workflow;
    private TriggerDelivery delivery;

    TriggerQueueIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    @BeforeEach
    void setUp() {
        LocalFunctions.createInstanceProfile(aws.inspectIam());
        String topic = aws.inspectSns().createTopic(r -> r.name("ssm-reach-results")).topicArn();
        workflow = new LocalWorkflow(aws, LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic)));
        delivery = TriggerDelivery.create(aws.inspectSqs(), LocalWorkflow.template(), 1);
    }

    @AfterEach
    void tearDown() {
        workflow.close();
    }

    @Test
    void aBatchRunsOneExecutionPerVpcAndEachEventOnce() throws Exception {
        String vpcA = world.vpc("10.0.0.0/16");
        String subnetA = world.subnet(vpcA, "10.0.1.0/24", "us-east-1a");
        String instanceA = world.instance(subnetA, null);
        String vpcB = world.vpc("10.1.0.0/16");
        String subnetB = world.subnet(vpcB, "10.1.1.0/24", "us-east-1b");
        delivery.put(SampleEvents.createSubnet(subnetA, vpcA, "us-east-1a"));
        delivery.put(SampleEvents.running(instanceA));
        delivery.put(SampleEvents.running(instanceA));
        delivery.put(SampleEvents.createSubnet(subnetB, vpcB, "us-east-1b"));

        Execution batch = delivery.pump(workflow::execute).orElseThrow();

        assertTrue(batch.succeeded(), batch::toString);
        assertEquals(List.of("Start", "ParseTrigger", "HasWork", "GroupTargets", "EachVpc", "BatchDone"), batch.path());
        JsonNode vpcs = batch.output().path("vpcs");
        assertEquals(Set.of(vpcA + " remediated", vpcB + " remediated"), Set.of(vpcs.get(0).path("vpcId").asText() + " "
                + vpcs.get(0).path("outcome").asText(), vpcs.get(1).path("vpcId").asText() + " " + vpcs.get(1).path("outcome").asText()));
        assertEquals(2, batch.events().stream().filter(e -> e.type().equals("ChildExecution")
                && e.json().path("event").path("type").asText().equals("ExecutionSucceeded")).count(), "one execution per VPC");
        for (String vpc : List.of(vpcA, vpcB)) {
            assertEquals(Set.of("ssm", "ssmmessages", "ec2messages", "s3"), services(vpc), vpc);
        }
        assertEquals(1, ec2.describeIamInstanceProfileAssociations(r -> r.filters(f -> f.name("instance-id").values(instanceA)))
                .iamInstanceProfileAssociations().size(), "the repeated event counted once");
        assertEquals(Optional.empty(), delivery.pump(workflow::execute), "the queue is empty");
    }

    @Test
    void anEventThePipeCannotStartAnExecutionWithIsDeadLetteredThenRedriven() throws Exception {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        delivery.put(SampleEvents.createSubnet(subnet, vpc, "us-east-1a"));
        AtomicInteger refused = new AtomicInteger();
        TriggerDelivery.Starter refusing = batch -> {
            refused.incrementAndGet();
            throw new TriggerDelivery.Refused("StateMachineDeleting: the state machine is being updated");
        };

        for (int receive = 0; receive <= delivery.maxReceiveCount() && delivery.deadLettered() == 0; receive++) {
            delivery.pump(refusing);
            Thread.sleep(1_100); // the local visibility timeout
        }

        assertEquals(delivery.maxReceiveCount(), refused.get(), "tried as often as the queue's maxReceiveCount");
        assertEquals(1, delivery.deadLettered());
        assertTrue(services(vpc).isEmpty(), "nothing done while refused");

        assertEquals(1, delivery.redrive());
        Execution execution = delivery.pump(workflow::execute).orElseThrow();

        assertTrue(execution.succeeded(), execution::toString);
        assertEquals("remediated", execution.output().path("vpcs").get(0).path("outcome").asText());
        assertEquals(Set.of("ssm", "ssmmessages", "ec2messages", "s3"), services(vpc));
        assertEquals(0, delivery.deadLettered());
    }

    private Set<String> services(String vpc) {
        Set<String> services = new TreeSet<>();
        for (VpcEndpoint endpoint : ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints()) {
            services.add(endpoint.serviceName().substring(endpoint.serviceName().lastIndexOf('.') + 1));
        }
        return services;
    }
}
