package ssmreach.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CloudFormation's intrinsic functions, resolved as a deployment resolves them for one set of
 * parameter values and the physical names of the stack's resources: {@code Ref}, {@code Fn::Sub},
 * {@code Fn::GetAtt}, {@code Fn::If} (with the template's Conditions), {@code Fn::Join},
 * {@code Fn::Select}, {@code Fn::Split}, {@code AWS::NoValue}. Anything else, or a name it does not
 * know, is an error: a value that cannot be resolved here cannot be trusted to grant anything.
 *
 * <p>(Written here because the resolver libraries on npm mis-read IAM documents: cfn-resolver-lib
 * 1.1.8 takes a statement's {@code Condition} key for a CloudFormation condition.)
 */
public final class CfnIntrinsics {
    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}!][^}]*)}");
    private static final JsonNode NO_VALUE = JsonNodeFactory.instance.missingNode();

    private final Map<String, String> refs;
    private final Map<String, String> attributes;
    private final JsonNode conditions;
    private final Map<String, Boolean> evaluated = new HashMap<>();

    /**
     * @param refs what {@code Ref} gives: parameters (with their defaults applied), pseudo
     *     parameters ({@code AWS::Region}, ...) and resources' physical ids
     * @param attributes what {@code Fn::GetAtt} gives, keyed {@code LogicalId.Attribute}
     * @param conditions the template's {@code Conditions} section
     */
    public CfnIntrinsics(Map<String, String> refs, Map<String, String> attributes, JsonNode conditions) {
        this.refs = Map.copyOf(refs);
        this.attributes = Map.copyOf(attributes);
        this.conditions = conditions;
    }

    /** The value with every intrinsic function resolved; {@code AWS::NoValue} removes the list element or field. */
    public JsonNode resolve(JsonNode node) {
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> {
                JsonNode value = resolve(element);
                if (!value.isMissingNode()) {
                    out.add(value);
                }
            });
            return out;
        }
        if (!node.isObject()) {
            return node;
        }
        if (node.size() == 1) {
            String name = node.fieldNames().next();
            JsonNode argument = node.get(name);
            switch (name) {
                case "Ref" -> {
                    return ref(argument.asText());
                }
                case "Fn::Sub" -> {
                    return new TextNode(sub(argument));
                }
                case "Fn::GetAtt" -> {
                    return new TextNode(getAtt(argument));
                }
                case "Fn::If" -> {
                    return resolve(condition(argument.get(0).asText()) ? argument.get(1) : argument.get(2));
                }
                case "Fn::Join" -> {
                    List<String> parts = new ArrayList<>();
                    resolve(argument.get(1)).forEach(part -> parts.add(part.asText()));
                    return new TextNode(String.join(argument.get(0).asText(), parts));
                }
                case "Fn::Select" -> {
                    return resolve(argument.get(1)).get(resolve(argument.get(0)).asInt());
                }
                case "Fn::Split" -> {
                    ArrayNode parts = JsonNodeFactory.instance.arrayNode();
                    for (String part : resolve(argument.get(1)).asText().split(Pattern.quote(argument.get(0).asText()), -1)) {
                        parts.add(part);
                    }
                    return parts;
                }
                default -> {
                    if (name.startsWith("Fn::")) {
                        throw new IllegalArgumentException("intrinsic function " + name + " is not resolved locally");
                    }
                }
            }
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        node.fields().forEachRemaining(field -> {
            JsonNode value = resolve(field.getValue());
            if (!value.isMissingNode()) {
                out.set(field.getKey(), value);
            }
        });
        return out;
    }

    /** A named condition of the template, evaluated once. */
    public boolean condition(String name) {
        Boolean known = evaluated.get(name);
        if (known != null) {
            return known;
        }
        JsonNode definition = conditions.get(name);
        if (definition == null) {
            throw new IllegalArgumentException("no condition " + name + " in the template");
        }
        boolean value = truth(definition);
        evaluated.put(name, value);
        return value;
    }

    private boolean truth(JsonNode node) {
        String name = node.fieldNames().next();
        JsonNode argument = node.get(name);
        return switch (name) {
            case "Fn::Equals" -> resolve(argument.get(0)).asText().equals(resolve(argument.get(1)).asText());
            case "Fn::Not" -> !truth(argument.get(0));
            case "Fn::And" -> all(argument, true);
            case "Fn::Or" -> !all(argument, false);
            case "Condition" -> condition(argument.asText());
            default -> throw new IllegalArgumentException("condition function " + name + " is not resolved locally");
        };
    }

    /** And: all true; with {@code wanted} false, Or's negation: none true. */
    private boolean all(JsonNode operands, boolean wanted) {
        for (JsonNode operand : operands) {
            if (truth(operand) != wanted) {
                return false;
            }
        }
        return true;
    }

    private JsonNode ref(String name) {
        if (name.equals("AWS::NoValue")) {
            return NO_VALUE;
        }
        String value = refs.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Ref " + name + " has no local value");
        }
        return new TextNode(value);
    }

    private String getAtt(JsonNode argument) {
        String key = argument.isArray() ? argument.get(0).asText() + "." + argument.get(1).asText() : argument.asText();
        String value = attributes.get(key);
        if (value == null) {
            throw new IllegalArgumentException("Fn::GetAtt " + key + " has no local value");
        }
        return value;
    }

    /** {@code Fn::Sub}: a string, or [string, variables]; {@code ${!Literal}} stays {@code ${Literal}}. */
    private String sub(JsonNode argument) {
        String text = argument.isArray() ? argument.get(0).asText() : argument.asText();
        Map<String, String> variables = new HashMap<>();
        if (argument.isArray() && argument.size() > 1) {
            argument.get(1).fields().forEachRemaining(v -> variables.put(v.getKey(), resolve(v.getValue()).asText()));
        }
        Matcher matcher = SUB_VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String name = matcher.group(1);
            String value = variables.containsKey(name) ? variables.get(name)
                    : name.contains(".") && !name.startsWith("AWS::") ? attributes.get(name) : refs.get(name);
            if (value == null) {
                throw new IllegalArgumentException("Fn::Sub variable ${" + name + "} has no local value");
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        return out.toString().replace("${!", "${");
    }
}
