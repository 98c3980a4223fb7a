import Foundation
import SlotProtocol
import Testing

/// Error names are part of the public contract: the ones slotd sends are `WireError.Name`'s constants, and those are
/// exactly the errors the IDL declares.
@Suite struct WireErrorNameTests {
    /// `interface.Error` for every `error` line of every interface text.
    static func declared() -> Set<String> {
        var names = Set<String>()
        for text in Interfaces.all.values + [Interfaces.service] {
            var interface = ""
            for line in text.split(separator: "\n") {
                let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
                guard words.count >= 2 else { continue }
                if words[0] == "interface" { interface = String(words[1]) }
                if words[0] == "error" { names.insert(interface + "." + String(words[1].prefix { $0 != "(" })) }
            }
        }
        return names
    }

    @Test("Invariant: the error names slotd sends are exactly the errors the IDL declares")
    func namesAreTheIDL() {
        let declared = Self.declared()
        let constants = Set(WireError.Name.allCases.map(\.rawValue))
        #expect(declared.count > 30, "the IDL parse found too few errors: \(declared.sorted())")
        #expect(constants.subtracting(declared).isEmpty, "not in the IDL: \(constants.subtracting(declared).sorted())")
        #expect(declared.subtracting(constants).isEmpty, "no constant: \(declared.subtracting(constants).sorted())")
    }

    @Test("Invariant: each interface's InvalidParameter and PermissionDenied are its own")
    func interfaceErrorsBelongToTheirInterface() {
        for interface in WireError.Interface.allCases {
            #expect(interface.invalidParameter.rawValue == interface.rawValue + ".InvalidParameter")
            #expect(interface.permissionDenied.rawValue == interface.rawValue + ".PermissionDenied")
        }
    }
}
