package ssmreach.result;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import ssmreach.contract.Endpoint;
import ssmreach.contract.Result;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.core.EarlierRun;
import ssmreach.core.Settings;

/**
 * The tags a subnet carries after evaluation: what was found (route), what it came to (status),
 * and which endpoints serve it. No timestamp, so that a rerun with nothing new writes nothing. A later
 * run reads them back to tell a repair from a first-time change ({@link EarlierRun}).
 */
final class SubnetTags {
    static final String ROUTE = Settings.TAG_PREFIX + "route";
    static final String STATUS = EarlierRun.STATUS_TAG;
    static final String ENDPOINTS = EarlierRun.ENDPOINTS_TAG;

    private SubnetTags() {}

    /** The tags to write (only those that differ from the subnet's current ones); empty for none. */
    static Map<String, String> changes(SubnetClassification subnet, Result result) {
        if (subnet.status() == SubnetStatus.GONE || subnet.status() == SubnetStatus.OPTED_OUT) {
            return Map.of(); // gone, or the owner asked to be left alone
        }
        Map<String, String> wanted = new TreeMap<>();
        wanted.put(ROUTE, subnet.route().name().toLowerCase());
        if (subnet.inScope()) {
            wanted.put(STATUS, switch (result.outcome()) {
                case "remediated", "compliant" -> EarlierRun.REACHABLE;
                default -> result.outcome();
            });
            wanted.put(ENDPOINTS, result.endpoints().stream().filter(Endpoint::available).map(Endpoint::service)
                    .sorted().distinct().collect(Collectors.joining(",")));
        } else {
            wanted.put(STATUS, "out-of-scope");
        }
        wanted.entrySet().removeIf(e -> e.getValue().equals(subnet.tags().get(e.getKey())));
        return wanted;
    }
}
