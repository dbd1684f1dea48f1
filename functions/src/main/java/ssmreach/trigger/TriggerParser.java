package ssmreach.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import ssmreach.contract.Target;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Settings;

/**
 * Turns what started the workflow into a {@link Target}: the CloudTrail CreateSubnet event as
 * EventBridge delivers it, or a manual input ({@code subnetId} or {@code vpcId}, optional
 * {@code dryRun}). Everything is checked here, before any AWS call: unknown fields, id formats,
 * account and Region.
 */
public final class TriggerParser {
    static final Pattern SUBNET_ID = Pattern.compile("subnet-[0-9a-f]{8}([0-9a-f]{9})?");
    static final Pattern VPC_ID = Pattern.compile("vpc-[0-9a-f]{8}([0-9a-f]{9})?");
    private static final Set<String> MANUAL_FIELDS = Set.of("subnetId", "vpcId", "dryRun");
    private static final String CLOUDTRAIL = "AWS API Call via CloudTrail";

    private final Settings settings;

    public TriggerParser(Settings settings) {
        this.settings = settings;
    }

    public Target parse(JsonNode input) {
        if (input == null || !input.isObject()) {
            throw new InvalidInputException("Input must be a JSON object: an EventBridge event or "
                    + "{\"subnetId\": \"subnet-…\"} / {\"vpcId\": \"vpc-…\"}");
        }
        return input.has("detail-type") || input.has("source") ? fromEvent(input) : fromManual(input);
    }

    private Target fromEvent(JsonNode event) {
        String source = text(event, "source");
        String detailType = text(event, "detail-type");
        JsonNode detail = event.path("detail");
        String eventName = detail.path("eventName").asText("");
        if (!"aws.ec2".equals(source) || !CLOUDTRAIL.equals(detailType) || !"CreateSubnet".equals(eventName)
                || !"ec2.amazonaws.com".equals(detail.path("eventSource").asText(""))) {
            throw new UnsupportedEventException("Unsupported event: source '" + source + "', detail-type '"
                    + detailType + "', eventName '" + eventName + "'; expected the CloudTrail CreateSubnet call of aws.ec2");
        }
        checkHome(text(event, "account"), text(event, "region"));
        if (detail.hasNonNull("errorCode")) {
            return new Target("CreateSubnet", null, List.of(), settings.dryRun(),
                    "the CreateSubnet call failed (" + detail.get("errorCode").asText() + "): no subnet was created");
        }
        JsonNode subnet = detail.path("responseElements").path("subnet");
        String subnetId = id(subnet.path("subnetId"), SUBNET_ID, "detail.responseElements.subnet.subnetId");
        String vpcId = subnet.hasNonNull("vpcId") ? id(subnet.get("vpcId"), VPC_ID, "detail.responseElements.subnet.vpcId") : null;
        return new Target("CreateSubnet", vpcId, List.of(subnetId), settings.dryRun(), null);
    }

    private Target fromManual(JsonNode input) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> names = input.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MANUAL_FIELDS.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidInputException("Unknown field(s) " + unknown + "; a manual input has subnetId or vpcId, and optionally dryRun");
        }
        boolean dryRun = settings.dryRun();
        if (input.has("dryRun")) {
            if (!input.get("dryRun").isBoolean()) {
                throw new InvalidInputException("dryRun must be true or false, not " + abbreviate(input.get("dryRun").toString()));
            }
            dryRun = dryRun || input.get("dryRun").booleanValue();
        }
        boolean hasSubnet = input.has("subnetId");
        if (hasSubnet == input.has("vpcId")) {
            throw new InvalidInputException("A manual input needs exactly one of subnetId and vpcId");
        }
        if (hasSubnet) {
            return new Target("manual", null, List.of(id(input.get("subnetId"), SUBNET_ID, "subnetId")), dryRun, null);
        }
        return new Target("manual", id(input.get("vpcId"), VPC_ID, "vpcId"), List.of(), dryRun, null);
    }

    private void checkHome(String account, String region) {
        if (!settings.accountId().isEmpty() && !settings.accountId().equals(account)) {
            throw new ForeignResourceException("Event from account '" + abbreviate(account) + "'; ssm-reach acts in "
                    + settings.accountId() + " only");
        }
        if (!settings.region().equals(region)) {
            throw new ForeignResourceException("Event from Region '" + abbreviate(region) + "'; ssm-reach acts in "
                    + settings.region() + " only");
        }
    }

    private static String id(JsonNode node, Pattern pattern, String field) {
        if (node == null || !node.isTextual()) {
            throw new InvalidInputException(field + " must be a string id, not " + abbreviate(String.valueOf(node)));
        }
        String value = node.asText();
        if (!pattern.matcher(value).matches()) {
            throw new InvalidInputException(field + " '" + abbreviate(value) + "' is not a valid id (" + pattern + ")");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.asText() : "";
    }

    /** Keeps hostile or huge input out of error messages and logs. */
    static String abbreviate(String value) {
        String printable = value.replaceAll("[^\\x20-\\x7E]", "?");
        return printable.length() <= 64 ? printable : printable.substring(0, 61) + "...";
    }
}
