package ssmreach.instance;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ssm.SsmClient;

/** What SSM says of instances: their PingStatus by id, read with the InstanceIds filter. */
public final class PingStatuses {
    /** DescribeInstanceInformation takes at most 50 ids in its InstanceIds filter. */
    private static final int BATCH = 50;

    private PingStatuses() {}

    /** PingStatus by instance id, for those SSM knows; one call (and its pages) per 50 ids. */
    public static Map<String, String> of(SsmClient ssm, List<String> instanceIds) {
        Map<String, String> statuses = new HashMap<>();
        for (int from = 0; from < instanceIds.size(); from += BATCH) {
            List<String> batch = instanceIds.subList(from, Math.min(instanceIds.size(), from + BATCH));
            ssm.describeInstanceInformationPaginator(r -> r.filters(f -> f.key("InstanceIds").values(batch)))
                    .instanceInformationList().forEach(info -> statuses.put(info.instanceId(), info.pingStatusAsString()));
        }
        return statuses;
    }
}
