package ssmreach.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;

/** The sample events of events/ (CreateSubnet, instance running, the route calls), made about resources of the local AWS, as EventBridge would deliver them. */
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

    /** events/create-route.json: a 0.0.0.0/0 route in this table to this gateway (igw-…, nat-… or another target). */
    public static String createRoute(String routeTable, String target) {
        return routeTo("events/create-route.json", routeTable, target);
    }

    /** events/replace-route.json: the 0.0.0.0/0 route of this table now to this gateway. */
    public static String replaceRoute(String routeTable, String target) {
        return routeTo("events/replace-route.json", routeTable, target);
    }

    private static String routeTo(String file, String routeTable, String target) {
        ObjectNode event = read(file);
        ObjectNode request = (ObjectNode) event.get("detail").get("requestParameters");
        request.remove(List.of("natGatewayId", "gatewayId"));
        request.put("routeTableId", routeTable).put(target.startsWith("nat-") ? "natGatewayId" : "gatewayId", target);
        return event.toString();
    }

    /** events/delete-route.json: the 0.0.0.0/0 route of this table deleted. */
    public static String deleteRoute(String routeTable) {
        ObjectNode event = read("events/delete-route.json");
        ((ObjectNode) event.get("detail").get("requestParameters")).put("routeTableId", routeTable);
        return event.toString();
    }

    /** events/associate-route-table.json: this subnet now uses this table, through this association. */
    public static String associateRouteTable(String routeTable, String subnet, String association) {
        ObjectNode event = read("events/associate-route-table.json");
        ((ObjectNode) event.get("detail").get("requestParameters")).put("routeTableId", routeTable).put("subnetId", subnet);
        ((ObjectNode) event.get("detail").get("responseElements")).put("associationId", association);
        return event.toString();
    }

    /** events/replace-route-table-association.json: the association replaced by one with this table (possibly the main one). */
    public static String replaceRouteTableAssociation(String oldAssociation, String routeTable, String newAssociation) {
        ObjectNode event = read("events/replace-route-table-association.json");
        ((ObjectNode) event.get("detail").get("requestParameters")).put("associationId", oldAssociation).put("routeTableId", routeTable);
        ((ObjectNode) event.get("detail").get("responseElements")).put("newAssociationId", newAssociation);
        return event.toString();
    }

    /** events/disassociate-route-table.json: this association removed. */
    public static String disassociateRouteTable(String association) {
        ObjectNode event = read("events/disassociate-route-table.json");
        ((ObjectNode) event.get("detail").get("requestParameters")).put("associationId", association);
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
