// swift-tools-version:5.9
// TrellisKit: the Rust core for iOS. `TrellisCoreFFI` is the xcframework of static libraries
// and its C header; `TrellisCore` the generated Swift bindings; `TrellisUI` the screens' state
// and formatting, with no SwiftUI or UIKit import. All three are made or filled by
// ../build-xcframework.sh (the generated parts are not committed).
import PackageDescription

let package = Package(
    name: "TrellisKit",
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "TrellisKit", targets: ["TrellisCore", "TrellisUI"]),
    ],
    targets: [
        .binaryTarget(name: "TrellisCoreFFI", path: "TrellisCoreFFI.xcframework"),
        .target(
            name: "TrellisCore",
            dependencies: ["TrellisCoreFFI"],
            path: "Sources/TrellisCore"
        ),
        .target(
            name: "TrellisUI",
            dependencies: ["TrellisCore"],
            path: "Sources/TrellisUI",
            // Swift 5.9's complete concurrency checking (Swift 6 checks it anyway).
            swiftSettings: [.enableExperimentalFeature("StrictConcurrency")]
        ),
    ]
)
