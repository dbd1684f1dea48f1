package ssmreach.core;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import ssmreach.contract.SubnetClassification;

/**
 * What an earlier run left, as an in-scope subnet's ssm-reach tags say (Report writes them, the
 * classification reads them back): whether it was reachable, and which services' endpoints served
 * it. A later run tells a repair (the stack's earlier work undone) from a first-time change by them.
 * A subnet was {@code reachable} only after a run that ended without an error: both DNS attributes
 * on, the managed group admitting 443 from every block of the VPC, every endpoint available.
 */
public final class EarlierRun {
    public static final String STATUS_TAG = Settings.TAG_PREFIX + "status";
    public static final String ENDPOINTS_TAG = Settings.TAG_PREFIX + "endpoints";
    public static final String REACHABLE = "reachable";
    /** How a found drift ends: the tags hold no time, so "the last run" is what is known of when. */
    public static final String LAST_RUN = "at the last run";

    private EarlierRun() {}

    /** The subnet is in scope and the last run that evaluated it left it reachable. */
    public static boolean reachable(SubnetClassification subnet) {
        return subnet.inScope() && REACHABLE.equals(subnet.tags().get(STATUS_TAG));
    }

    /** The subnet is in scope and, at the last run, an available endpoint of {@code service} served it. */
    public static boolean servedBy(SubnetClassification subnet, String service) {
        String services = subnet.tags().get(ENDPOINTS_TAG);
        return subnet.inScope() && services != null && List.of(services.split(",")).contains(service);
    }

    /** The lowest id among {@code subnets} that pass {@code test}. */
    public static Optional<String> first(Collection<SubnetClassification> subnets, Predicate<SubnetClassification> test) {
        return subnets.stream().filter(test).map(SubnetClassification::subnetId).min(Comparator.naturalOrder());
    }
}
