package ssmreach.local.iam;

import java.util.List;
import java.util.Map;

/**
 * What one API request asks of IAM: an action, the resources it touches (each with the keys AWS
 * sets for that resource) and the keys of the request itself. Context values are Strings, or
 * Lists of Strings for multi-valued keys such as {@code aws:TagKeys}. It may hold keys the action
 * does not evaluate: the {@link Authorizer} keeps only those the reference lists.
 */
public record AccessRequest(String action, List<Target> targets, Map<String, Object> context) {
    /** The resource {@code *} of actions without resource-level permissions. */
    public static final Target ANY = new Target("", "*", Map.of());

    /** One resource: its type as the reference names it ({@code ""} for {@code *}), its ARN, its own keys. */
    public record Target(String resourceType, String arn, Map<String, Object> context) {}

    /** An action on {@code *} only. */
    public static AccessRequest onAny(String action, Map<String, Object> context) {
        return new AccessRequest(action, List.of(ANY), context);
    }
}
