package ssmreach.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** The sample events of events/, made about resources of the local AWS, as EventBridge would deliver them. */
public final class SampleEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SampleEvents() {}

    /** events/create-subnet.json for this subnet. */
    public static String createSubnet(String subnet, String vpc, String zone) {
        ObjectNode event = read("events/create-subnet.json");
        ObjectNode detail = (ObjectNode) event.get("detail");
        ((ObjectNode) detail.path("requestParameters")).put("vpcId", vpc).put("availabilityZone", zone);
        ((ObjectNode) detail.path("responseElements").path("subnet")).put("subnetId", subnet).put("vpcId", vpc).put("availabilityZone", zone)
                .put("subnetArn", "arn:aws:ec2:" + LocalAws.REGION.id() + ":" + LocalAws.ACCOUNT_ID + ":subnet/" + subnet);
        return event.toString();
    }

    /** events/instance-running.json for this instance. */
    public static String running(String instance) {
        ObjectNode event = read("events/instance-running.json");
        ((ObjectNode) event.get("detail")).put("instance-id", instance);
        event.putArray("resources").add("arn:aws:ec2:" + LocalAws.REGION.id() + ":" + LocalAws.ACCOUNT_ID + ":instance/" + instance);
        return event.toString();
    }

    private static ObjectNode read(String file) {
        try {
            return (ObjectNode) JSON.readTree(Files.readString(LocalWorkflow.repositoryRoot().resolve(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
