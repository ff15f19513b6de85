//! "Where Nexar keeps your footage": what each camera family does with recordings, so an owner
//! knows where to look and how much time is left. Built only from Nexar's documented behaviour.

use leptos::prelude::*;

/// One camera family and where its footage lives.
struct Family {
    name: &'static str,
    storage: &'static str,
    points: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    Family {
        name: "Nexar Pro and Beam",
        storage: "SD card",
        points: &[
            "Drive recordings end in “1” (road) and “2” (cabin), or “A” (road) and “B” (cabin).",
            "Parking incidents end in “U”, sit in the same folder as drives, and are overwritten by the same loop.",
        ],
    },
    Family {
        name: "NEXC2",
        storage: "Built-in memory, read with the Nexar Memory Card Reader",
        points: &[
            "Same drive names as Pro and Beam; parking clips end in “U” or “X”.",
            "Overwritten by the same loop as drives.",
        ],
    },
    Family {
        name: "NEXC1 and NEXS1",
        storage: "SD card",
        points: &[
            "Parking incidents are kept apart from drives, in a sos folder.",
            "The sos folder has its own overwrite: when it is full, its oldest parking clips are deleted.",
        ],
    },
    Family {
        name: "Nexar One",
        storage: "Built-in memory with no direct access",
        points: &["Only the Nexar app shows its footage; there is no card for Dashcard to read."],
    },
];

/// The explainer section.
#[component]
pub fn Explainer() -> impl IntoView {
    view! {
        <section class="explainer" aria-labelledby="explainer-title">
            <h2 id="explainer-title">"Where Nexar keeps your footage"</h2>
            <p class="lead">
                "Nexar cameras record while they have power, and on an impact or movement in parking mode. When the card or built-in memory is full, the oldest drive recordings are overwritten by new ones — a loop. After a collision, every minute of driving can cost you the oldest footage: take the card out, or unplug the camera, as soon as it is safe."
            </p>
            <ul class="families">
                {FAMILIES
                    .iter()
                    .map(|family| {
                        view! {
                            <li class="family">
                                <h3>{family.name}</h3>
                                <p class="storage">{family.storage}</p>
                                <ul>
                                    {family.points.iter().map(|p| view! { <li>{*p}</li> }).collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div class="facts">
                <div class="fact">
                    <h3>"Parking clips"</h3>
                    <p>"Usually about 30 seconds (10 seconds on NEXC1); the Incidents view shows each clip's own length."</p>
                </div>
                <div class="fact">
                    <h3>"Nexar Cloud"</h3>
                    <p>
                        "Clips of irregular events are also backed up to the Nexar Cloud. Full drives go to the cloud as a timelapse on Pro, Beam, NEXC1, NEXC2 and NEXS1."
                    </p>
                </div>
                <div class="fact">
                    <h3>"Your phone"</h3>
                    <p>
                        "The Nexar app keeps drives in up to 50 % of your phone's storage, the newest replacing the oldest."
                    </p>
                </div>
            </div>
        </section>
    }
}
