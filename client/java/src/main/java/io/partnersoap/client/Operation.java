package io.partnersoap.client;

import java.util.function.Function;
import org.w3c.dom.Element;

/** One wsdl:operation: its name (also the SOAPAction), its response element and its reader. */
final class Operation<T> {
    final String name;
    final String responseElement;
    final Function<Element, T> reader;

    Operation(String name, String responseElement, Function<Element, T> reader) {
        this.name = name;
        this.responseElement = responseElement;
        this.reader = reader;
    }
}
