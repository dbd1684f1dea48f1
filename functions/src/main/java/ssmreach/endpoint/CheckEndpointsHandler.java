package ssmreach.endpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.contract.Endpoint;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;
import ssmreach.core.Clients;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;

/**
 * One turn of the workflow's wait loop: reads the endpoints' states again (one call for all).
 * A failed, rejected or vanished endpoint becomes a finding, and stops the wait: it will not
 * become available by waiting.
 */
public class CheckEndpointsHandler extends JsonHandler<EndpointsReport, EndpointsReport> {
    private final Ec2Client ec2;

    public CheckEndpointsHandler() {
        this(Settings.fromEnvironment());
    }

    private CheckEndpointsHandler(Settings settings) {
        this(Clients.ec2(settings));
        primeBeforeSnapshot(settings);
    }

    public CheckEndpointsHandler(Ec2Client ec2) {
        super(EndpointsReport.class);
        this.ec2 = ec2;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new CheckEndpointsHandler(twins.ec2()), twins);
    }

    @Override
    public EndpointsReport handle(EndpointsReport report) {
        List<String> ids = report.endpoints().stream().map(Endpoint::id).filter(Objects::nonNull).toList();
        if (ids.isEmpty()) {
            return report;
        }
        // A filter rather than ids: an endpoint deleted meanwhile is simply absent, not an error.
        Map<String, VpcEndpoint> current = ec2.describeVpcEndpointsPaginator(r -> r.filters(
                        Filter.builder().name("vpc-endpoint-id").values(ids).build()))
                .vpcEndpoints().stream().collect(Collectors.toMap(VpcEndpoint::vpcEndpointId, Function.identity()));
        List<Endpoint> endpoints = new ArrayList<>();
        List<Finding> findings = new ArrayList<>(report.findings());
        for (Endpoint endpoint : report.endpoints()) {
            VpcEndpoint now = endpoint.id() == null ? null : current.get(endpoint.id());
            String state = now == null ? "deleted" : EndpointPlanner.state(now);
            endpoints.add(endpoint.withState(state));
            if (!state.equals("available") && !state.startsWith("pending")) {
                Finding finding = new Finding("ENDPOINT_" + state.toUpperCase().replace('-', '_'), Severity.ERROR, endpoint.id(),
                        "The " + endpoint.service() + " endpoint is " + state + " and will not become available",
                        "Check the endpoint in the VPC console; delete it if failed, and run ssm-reach again");
                if (!findings.contains(finding)) {
                    findings.add(finding);
                }
            }
        }
        return new EndpointsReport(endpoints, report.actions(), findings,
                endpoints.stream().allMatch(Endpoint::available), endpoints.stream().noneMatch(Endpoint::pending));
    }
}
