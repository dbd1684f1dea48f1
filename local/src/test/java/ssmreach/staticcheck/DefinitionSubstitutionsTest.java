package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The state machine definition and the template agree: every {@code ${Placeholder}} of the ASL has a
 * DefinitionSubstitutions key and every key is used (cfn-lint checks neither), each function
 * placeholder names the alias of a function of the template, and the state machine may invoke
 * exactly those aliases.
 */
class DefinitionSubstitutionsTest {
    static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");

    static Set<String> placeholders(String definition) {
        Set<String> names = new TreeSet<>();
        Matcher matcher = PLACEHOLDER.matcher(definition);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    /** Key → value as written in the template (a short tag's value without its tag). */
    static Map<String, String> substitutions() {
        Map<String, String> values = new TreeMap<>();
        JsonNode node = Repo.stateMachine().getValue().path("Properties").path("DefinitionSubstitutions");
        node.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
        return values;
    }

    static String definitionUri() {
        return Repo.stateMachine().getValue().path("Properties").path("DefinitionUri").asText();
    }

    @Test
    void theStateMachineLoadsTheDefinitionInStatemachineFolder() {
        assertEquals("statemachine/workflow.asl.json", definitionUri());
        assertTrue(Files.isRegularFile(Repo.path(definitionUri())));
    }

    @Test
    void everyPlaceholderHasASubstitutionAndEverySubstitutionIsUsed() {
        Set<String> used = placeholders(Repo.read(definitionUri()));
        Set<String> given = substitutions().keySet();
        assertFalse(used.isEmpty(), "the definition has no ${...} placeholder at all: wrong file?");

        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(given);
        Set<String> unused = new TreeSet<>(given);
        unused.removeAll(used);

        assertTrue(missing.isEmpty(), () -> "placeholders without a DefinitionSubstitutions key: " + missing);
        assertTrue(unused.isEmpty(), () -> "DefinitionSubstitutions keys the definition never uses: " + unused);
    }

    @Test
    void functionPlaceholdersNameTheLiveAliasOfTheirFunction() {
        Set<String> functions = Repo.functions().keySet();
        substitutions().forEach((key, value) -> {
            if (key.endsWith("FunctionArn")) {
                String function = key.substring(0, key.length() - "Arn".length());
                assertEquals(function + ".Alias", value, () -> key + " must be !Ref " + function + ".Alias (the published alias)");
                assertTrue(functions.contains(function), () -> key + " names " + function + ", not a function of the template");
            } else {
                assertTrue(Repo.template().path("Parameters").has(value),
                        () -> key + " must be !Ref of a stack parameter, not '" + value + "'");
            }
        });
        assertEquals("live", Repo.template().path("Globals").path("Function").path("AutoPublishAlias").asText());
    }

    @Test
    void theStateMachineMayInvokeExactlyTheAliasesItUses() {
        Set<String> aliases = new TreeSet<>();
        substitutions().forEach((key, value) -> {
            if (key.endsWith("FunctionArn")) {
                aliases.add(value);
            }
        });
        Set<String> invokable = new TreeSet<>();
        for (JsonNode policy : Repo.stateMachine().getValue().path("Properties").path("Policies")) {
            for (JsonNode statement : policy.path("Statement")) {
                if (Repo.strings(statement.path("Action")).contains("lambda:InvokeFunction")) {
                    invokable.addAll(Repo.strings(statement.path("Resource")));
                }
            }
        }
        assertEquals(aliases, invokable);
    }
}
