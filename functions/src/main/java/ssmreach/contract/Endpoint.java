package ssmreach.contract;

import java.util.List;

/**
 * A VPC endpoint the subnet relies on. {@code id} is null for one a dry run plans to create;
 * {@code zones} are the Availability Zones it serves (interface) and {@code routeTableIds} the
 * tables it is in (gateway).
 */
public record Endpoint(
        String id,
        String service,
        String type,
        String state,
        boolean privateDns,
        List<String> zones,
        List<String> routeTableIds,
        boolean owned) {

    public Endpoint {
        zones = zones == null ? List.of() : List.copyOf(zones);
        routeTableIds = routeTableIds == null ? List.of() : List.copyOf(routeTableIds);
    }

    public Endpoint withState(String newState) {
        return new Endpoint(id, service, type, newState, privateDns, zones, routeTableIds, owned);
    }

    public boolean available() {
        return "available".equalsIgnoreCase(state);
    }

    /** Still on its way to available (pending, pendingAcceptance). */
    public boolean pending() {
        return state != null && state.toLowerCase().startsWith("pending");
    }
}
