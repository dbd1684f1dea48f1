package ssmreach.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.World;

/**
 * Instances launched without a profile into the isolated subnets of a {@link Concurrent} VPC, in
 * the same apply that creates the subnets, and the events that follow: one CreateSubnet per subnet
 * and one EC2 "running" state-change per instance.
 */
final class Launches {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Concurrent vpc;
    /** instance id → subnet id, in launch order. */
    final Map<String, String> instances = new LinkedHashMap<>();

    Launches(World world, int subnets, int perSubnet) {
        vpc = new Concurrent(world, subnets);
        for (String subnet : vpc.subnets.keySet()) {
            for (int i = 0; i < perSubnet; i++) {
                instances.put(world.instance(subnet, null), subnet);
            }
        }
    }

    List<String> instancesIn(String subnet) {
        return instances.entrySet().stream().filter(e -> e.getValue().equals(subnet)).map(Map.Entry::getKey).toList();
    }

    /** What each event is about (a subnet or an instance id) → the event; subnets first, then instances in launch order. */
    Map<String, String> events() {
        Map<String, String> events = new LinkedHashMap<>();
        vpc.subnets.forEach((subnet, zone) -> events.put(subnet, Audit.createSubnetEvent(subnet, vpc.vpc, zone)));
        instances.keySet().forEach(instance -> events.put(instance, runningEvent(instance)));
        return events;
    }

    /** events/instance-running.json as EventBridge would deliver it for this instance. */
    static String runningEvent(String instanceId) {
        try {
            ObjectNode event = (ObjectNode) JSON.readTree(Files.readString(LocalWorkflow.repositoryRoot().resolve("events/instance-running.json")));
            event.putArray("resources").add("arn:aws:ec2:us-east-1:123456789012:instance/" + instanceId);
            ((ObjectNode) event.get("detail")).put("instance-id", instanceId).put("state", "running");
            return event.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
