package ssmreach.local.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * What a dry run proved of the stack's permissions: each change the real run would make, allowed
 * or denied (EC2 answered the same request sent with DryRun) or unchecked (the API has no DryRun),
 * and for a denial the reason AWS encoded in its message, opened with
 * {@code sts:DecodeAuthorizationMessage} when the caller may (else the encoded message is shown).
 */
public final class PermissionReport {
    private static final Pattern ENCODED = Pattern.compile("Encoded authorization failure message: (\\S+)");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One planned change and its verdict; {@code reason} is the decoded (or encoded) message of a denial. */
    public record Entry(String operation, String resource, String detail, String permission, String reason) {}

    private final List<Entry> entries;

    private PermissionReport(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The planned changes of these result documents (none for a real run), denials decoded with {@code sts}. */
    public static PermissionReport of(List<JsonNode> results, StsClient sts) {
        List<Entry> entries = new ArrayList<>();
        for (JsonNode result : results) {
            if (result == null) {
                continue;
            }
            for (JsonNode action : result.path("actions")) {
                if (!action.path("planned").asBoolean()) {
                    continue;
                }
                String permission = action.path("permission").asText("unchecked");
                String reason = "denied".equals(permission) ? reason(result, action, sts) : null;
                entries.add(new Entry(action.path("operation").asText(), action.path("resource").asText(),
                        action.path("detail").asText(), permission, reason));
            }
        }
        return new PermissionReport(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    public boolean anyDenied() {
        return entries.stream().anyMatch(e -> "denied".equals(e.permission()));
    }

    public void print(PrintStream out) {
        if (entries.isEmpty()) {
            return;
        }
        out.println();
        long denied = entries.stream().filter(e -> "denied".equals(e.permission())).count();
        long unchecked = entries.stream().filter(e -> "unchecked".equals(e.permission())).count();
        out.println("Permissions of the changes a real run would make: " + (entries.size() - denied - unchecked) + " allowed, "
                + denied + " denied, " + unchecked + " unchecked (no DryRun for that API)");
        for (Entry entry : entries) {
            out.printf("  %-9s %-30s %-28s %s%n", entry.permission(), entry.operation(), entry.resource(), entry.detail());
            if (entry.reason() != null) {
                out.println("            " + entry.reason());
            }
        }
    }

    public ArrayNode json() {
        ArrayNode array = MAPPER.createArrayNode();
        for (Entry entry : entries) {
            ObjectNode node = array.addObject().put("operation", entry.operation()).put("resource", entry.resource())
                    .put("detail", entry.detail()).put("permission", entry.permission());
            if (entry.reason() != null) {
                node.put("reason", entry.reason());
            }
        }
        return array;
    }

    /** The denial's PERMISSION_MISSING finding, its encoded message decoded if the caller may. */
    private static String reason(JsonNode result, JsonNode action, StsClient sts) {
        for (JsonNode finding : result.path("findings")) {
            String message = finding.path("message").asText();
            if (!"PERMISSION_MISSING".equals(finding.path("code").asText()) || !message.contains(action.path("operation").asText())) {
                continue;
            }
            Matcher encoded = ENCODED.matcher(message);
            if (!encoded.find()) {
                return message;
            }
            try {
                String decoded = sts.decodeAuthorizationMessage(r -> r.encodedMessage(encoded.group(1))).decodedMessage();
                return summary(MAPPER.readTree(decoded));
            } catch (SdkException | IOException e) {
                return "(not decoded: " + e.getMessage().replaceAll("\\s+", " ") + ") encoded: " + encoded.group(1);
            }
        }
        return "(no PERMISSION_MISSING finding names it)";
    }

    /** The decoded message's essentials: what was refused, to whom, and the context it was evaluated with. */
    private static String summary(JsonNode decoded) {
        JsonNode context = decoded.path("context");
        List<String> conditions = new ArrayList<>();
        for (JsonNode item : context.path("conditions").path("items")) {
            String key = item.path("key").asText();
            if (key.startsWith("aws:") && !key.startsWith("aws:RequestTag") && !key.startsWith("aws:ResourceTag")
                    && !key.equals("aws:TagKeys")) {
                continue; // who and when: the same for every call
            }
            List<String> values = new ArrayList<>();
            item.path("values").path("items").forEach(v -> values.add(v.path("value").asText()));
            conditions.add(key + "=" + String.join("|", values));
        }
        return (decoded.path("explicitDeny").asBoolean() ? "explicitly denied: " : "not allowed: ")
                + context.path("action").asText() + " on " + context.path("resource").asText()
                + " for " + context.path("principal").path("arn").asText()
                + (conditions.isEmpty() ? "" : " with " + String.join(", ", conditions));
    }
}
