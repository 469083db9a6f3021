//! Shipping locations (seed 000, R12): where a coordinator receives shipments for a contract. Every
//! field is validated here, on both sides, and each complaint names its field (R23).

use crate::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingLocation {
    pub recipient: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub phone: String,
}

fn required(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    optional(field, text, max)
}

fn optional(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let text = value.trim();
    if text.chars().count() > max {
        return Err(FieldError::new(field, format!("is longer than {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(text.to_string())
}

/// The name of an ISO 3166-1 alpha-2 code, if it is one.
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRIES.iter().find(|(c, _)| *c == code).map(|(_, name)| *name)
}

/// Postal codes: the shape of the country where we know it, a plausible code elsewhere.
pub fn check_postal_code(country: &str, raw: &str) -> Result<String, FieldError> {
    let code = raw.trim().to_uppercase();
    let err = |shape: &str| Err(FieldError::new("Postal code", format!("is not a postal code of {shape}")));
    // Every shape below is ASCII; checking that first also keeps the byte slicing below on
    // character boundaries (a multi-byte character such as `123é5` once panicked here).
    if !code.is_ascii() {
        return err(country_name(country).unwrap_or("that country"));
    }
    let digits = |n: usize| code.len() == n && code.bytes().all(|b| b.is_ascii_digit());
    let ok = match country {
        "US" => digits(5) || (code.len() == 10 && code.as_bytes()[5] == b'-' && code[..5].bytes().chain(code[6..].bytes()).all(|b| b.is_ascii_digit())),
        "DE" | "FR" | "ES" | "IT" | "FI" => digits(5),
        "AT" | "BE" | "CH" | "DK" | "NO" | "AU" | "NZ" | "ZA" | "HU" | "LU" => digits(4),
        "NL" => {
            let compact: String = code.chars().filter(|c| *c != ' ').collect();
            compact.len() == 6 && compact[..4].bytes().all(|b| b.is_ascii_digit()) && compact[4..].bytes().all(|b| b.is_ascii_uppercase())
        }
        "CA" => {
            let compact: Vec<u8> = code.bytes().filter(|b| *b != b' ').collect();
            compact.len() == 6 && compact.iter().enumerate().all(|(i, b)| if i % 2 == 0 { b.is_ascii_uppercase() } else { b.is_ascii_digit() })
        }
        "GB" => {
            let compact: String = code.chars().filter(|c| *c != ' ').collect();
            (5..=7).contains(&compact.len())
                && compact.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && compact.chars().all(|c| c.is_ascii_alphanumeric())
                && compact[compact.len() - 3..].starts_with(|c: char| c.is_ascii_digit())
        }
        _ => (2..=12).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-'),
    };
    if ok {
        Ok(code)
    } else {
        err(country_name(country).unwrap_or("that country"))
    }
}

impl ShippingLocation {
    /// Trims and checks every field, reporting all bad fields at once.
    pub fn parse(&self) -> Result<ShippingLocation, FieldErrors> {
        let mut errors = FieldErrors::default();
        let recipient = errors.take(required("Recipient", &self.recipient, 100));
        let line1 = errors.take(required("Address line 1", &self.address_line1, 200));
        let line2 = errors.take(optional("Address line 2", &self.address_line2, 200));
        let city = errors.take(required("City", &self.city, 100));
        let region = errors.take(optional("Region", &self.region, 100));
        let country = self.country.trim().to_uppercase();
        let country_ok = country_name(&country).is_some();
        if !country_ok {
            errors.push(FieldError::new("Country", "must be chosen from the list (ISO 3166-1 codes such as DE or US)"));
        }
        let postal = if self.postal_code.trim().is_empty() {
            errors.push(FieldError::new("Postal code", "is required"));
            None
        } else if country_ok {
            errors.take(check_postal_code(&country, &self.postal_code))
        } else {
            Some(self.postal_code.trim().to_string())
        };
        let phone = self.phone.trim();
        let phone_ok = phone.is_empty()
            || (phone.chars().filter(char::is_ascii_digit).count() >= 6
                && phone.len() <= 30
                && phone.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c)));
        if !phone_ok {
            errors.push(FieldError::new("Phone", "must be digits, with spaces, +, -, ( or ) if you like"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ShippingLocation {
            recipient: recipient.unwrap_or_default(),
            address_line1: line1.unwrap_or_default(),
            address_line2: line2.unwrap_or_default(),
            city: city.unwrap_or_default(),
            region: region.unwrap_or_default(),
            postal_code: postal.unwrap_or_default(),
            country,
            phone: phone.to_string(),
        })
    }

    /// One line for a table cell.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.recipient.clone(), self.address_line1.clone()];
        if !self.address_line2.is_empty() {
            parts.push(self.address_line2.clone());
        }
        parts.push(format!("{} {}", self.postal_code, self.city));
        parts.push(self.country.clone());
        parts.join(", ")
    }
}

/// ISO 3166-1 alpha-2 codes with their short English names.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AD", "Andorra"), ("AE", "United Arab Emirates"), ("AF", "Afghanistan"), ("AG", "Antigua and Barbuda"),
    ("AI", "Anguilla"), ("AL", "Albania"), ("AM", "Armenia"), ("AO", "Angola"), ("AQ", "Antarctica"),
    ("AR", "Argentina"), ("AS", "American Samoa"), ("AT", "Austria"), ("AU", "Australia"), ("AW", "Aruba"),
    ("AX", "Åland Islands"), ("AZ", "Azerbaijan"), ("BA", "Bosnia and Herzegovina"), ("BB", "Barbados"),
    ("BD", "Bangladesh"), ("BE", "Belgium"), ("BF", "Burkina Faso"), ("BG", "Bulgaria"), ("BH", "Bahrain"),
    ("BI", "Burundi"), ("BJ", "Benin"), ("BL", "Saint Barthélemy"), ("BM", "Bermuda"), ("BN", "Brunei Darussalam"),
    ("BO", "Bolivia"), ("BQ", "Bonaire, Sint Eustatius and Saba"), ("BR", "Brazil"), ("BS", "Bahamas"),
    ("BT", "Bhutan"), ("BV", "Bouvet Island"), ("BW", "Botswana"), ("BY", "Belarus"), ("BZ", "Belize"),
    ("CA", "Canada"), ("CC", "Cocos (Keeling) Islands"), ("CD", "Congo, Democratic Republic of the"),
    ("CF", "Central African Republic"), ("CG", "Congo"), ("CH", "Switzerland"), ("CI", "Côte d'Ivoire"),
    ("CK", "Cook Islands"), ("CL", "Chile"), ("CM", "Cameroon"), ("CN", "China"), ("CO", "Colombia"),
    ("CR", "Costa Rica"), ("CU", "Cuba"), ("CV", "Cabo Verde"), ("CW", "Curaçao"), ("CX", "Christmas Island"),
    ("CY", "Cyprus"), ("CZ", "Czechia"), ("DE", "Germany"), ("DJ", "Djibouti"), ("DK", "Denmark"),
    ("DM", "Dominica"), ("DO", "Dominican Republic"), ("DZ", "Algeria"), ("EC", "Ecuador"), ("EE", "Estonia"),
    ("EG", "Egypt"), ("EH", "Western Sahara"), ("ER", "Eritrea"), ("ES", "Spain"), ("ET", "Ethiopia"),
    ("FI", "Finland"), ("FJ", "Fiji"), ("FK", "Falkland Islands"), ("FM", "Micronesia"), ("FO", "Faroe Islands"),
    ("FR", "France"), ("GA", "Gabon"), ("GB", "United Kingdom"), ("GD", "Grenada"), ("GE", "Georgia"),
    ("GF", "French Guiana"), ("GG", "Guernsey"), ("GH", "Ghana"), ("GI", "Gibraltar"), ("GL", "Greenland"),
    ("GM", "Gambia"), ("GN", "Guinea"), ("GP", "Guadeloupe"), ("GQ", "Equatorial Guinea"), ("GR", "Greece"),
    ("GS", "South Georgia and the South Sandwich Islands"), ("GT", "Guatemala"), ("GU", "Guam"),
    ("GW", "Guinea-Bissau"), ("GY", "Guyana"), ("HK", "Hong Kong"), ("HM", "Heard Island and McDonald Islands"),
    ("HN", "Honduras"), ("HR", "Croatia"), ("HT", "Haiti"), ("HU", "Hungary"), ("ID", "Indonesia"),
    ("IE", "Ireland"), ("IL", "Israel"), ("IM", "Isle of Man"), ("IN", "India"),
    ("IO", "British Indian Ocean Territory"), ("IQ", "Iraq"), ("IR", "Iran"), ("IS", "Iceland"), ("IT", "Italy"),
    ("JE", "Jersey"), ("JM", "Jamaica"), ("JO", "Jordan"), ("JP", "Japan"), ("KE", "Kenya"), ("KG", "Kyrgyzstan"),
    ("KH", "Cambodia"), ("KI", "Kiribati"), ("KM", "Comoros"), ("KN", "Saint Kitts and Nevis"),
    ("KP", "Korea, Democratic People's Republic of"), ("KR", "Korea, Republic of"), ("KW", "Kuwait"),
    ("KY", "Cayman Islands"), ("KZ", "Kazakhstan"), ("LA", "Lao People's Democratic Republic"), ("LB", "Lebanon"),
    ("LC", "Saint Lucia"), ("LI", "Liechtenstein"), ("LK", "Sri Lanka"), ("LR", "Liberia"), ("LS", "Lesotho"),
    ("LT", "Lithuania"), ("LU", "Luxembourg"), ("LV", "Latvia"), ("LY", "Libya"), ("MA", "Morocco"),
    ("MC", "Monaco"), ("MD", "Moldova"), ("ME", "Montenegro"), ("MF", "Saint Martin (French part)"),
    ("MG", "Madagascar"), ("MH", "Marshall Islands"), ("MK", "North Macedonia"), ("ML", "Mali"), ("MM", "Myanmar"),
    ("MN", "Mongolia"), ("MO", "Macao"), ("MP", "Northern Mariana Islands"), ("MQ", "Martinique"),
    ("MR", "Mauritania"), ("MS", "Montserrat"), ("MT", "Malta"), ("MU", "Mauritius"), ("MV", "Maldives"),
    ("MW", "Malawi"), ("MX", "Mexico"), ("MY", "Malaysia"), ("MZ", "Mozambique"), ("NA", "Namibia"),
    ("NC", "New Caledonia"), ("NE", "Niger"), ("NF", "Norfolk Island"), ("NG", "Nigeria"), ("NI", "Nicaragua"),
    ("NL", "Netherlands"), ("NO", "Norway"), ("NP", "Nepal"), ("NR", "Nauru"), ("NU", "Niue"), ("NZ", "New Zealand"),
    ("OM", "Oman"), ("PA", "Panama"), ("PE", "Peru"), ("PF", "French Polynesia"), ("PG", "Papua New Guinea"),
    ("PH", "Philippines"), ("PK", "Pakistan"), ("PL", "Poland"), ("PM", "Saint Pierre and Miquelon"),
    ("PN", "Pitcairn"), ("PR", "Puerto Rico"), ("PS", "Palestine, State of"), ("PT", "Portugal"), ("PW", "Palau"),
    ("PY", "Paraguay"), ("QA", "Qatar"), ("RE", "Réunion"), ("RO", "Romania"), ("RS", "Serbia"),
    ("RU", "Russian Federation"), ("RW", "Rwanda"), ("SA", "Saudi Arabia"), ("SB", "Solomon Islands"),
    ("SC", "Seychelles"), ("SD", "Sudan"), ("SE", "Sweden"), ("SG", "Singapore"),
    ("SH", "Saint Helena, Ascension and Tristan da Cunha"), ("SI", "Slovenia"), ("SJ", "Svalbard and Jan Mayen"),
    ("SK", "Slovakia"), ("SL", "Sierra Leone"), ("SM", "San Marino"), ("SN", "Senegal"), ("SO", "Somalia"),
    ("SR", "Suriname"), ("SS", "South Sudan"), ("ST", "Sao Tome and Principe"), ("SV", "El Salvador"),
    ("SX", "Sint Maarten (Dutch part)"), ("SY", "Syrian Arab Republic"), ("SZ", "Eswatini"),
    ("TC", "Turks and Caicos Islands"), ("TD", "Chad"), ("TF", "French Southern Territories"), ("TG", "Togo"),
    ("TH", "Thailand"), ("TJ", "Tajikistan"), ("TK", "Tokelau"), ("TL", "Timor-Leste"), ("TM", "Turkmenistan"),
    ("TN", "Tunisia"), ("TO", "Tonga"), ("TR", "Türkiye"), ("TT", "Trinidad and Tobago"), ("TV", "Tuvalu"),
    ("TW", "Taiwan"), ("TZ", "Tanzania"), ("UA", "Ukraine"), ("UG", "Uganda"),
    ("UM", "United States Minor Outlying Islands"), ("US", "United States"), ("UY", "Uruguay"),
    ("UZ", "Uzbekistan"), ("VA", "Holy See"), ("VC", "Saint Vincent and the Grenadines"), ("VE", "Venezuela"),
    ("VG", "Virgin Islands (British)"), ("VI", "Virgin Islands (U.S.)"), ("VN", "Viet Nam"), ("VU", "Vanuatu"),
    ("WF", "Wallis and Futuna"), ("WS", "Samoa"), ("YE", "Yemen"), ("YT", "Mayotte"), ("ZA", "South Africa"),
    ("ZM", "Zambia"), ("ZW", "Zimbabwe"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> ShippingLocation {
        ShippingLocation {
            recipient: " Goods In ".into(),
            address_line1: "Hauptstraße 1".into(),
            address_line2: "".into(),
            city: "Berlin".into(),
            region: "".into(),
            postal_code: "10115".into(),
            country: "de".into(),
            phone: "+49 30 123456".into(),
        }
    }

    #[test]
    fn a_good_location_is_trimmed_and_its_country_upper_cased() {
        let parsed = good().parse().unwrap();
        assert_eq!((parsed.recipient.as_str(), parsed.country.as_str()), ("Goods In", "DE"));
    }

    #[test]
    fn the_list_holds_every_assigned_code_once() {
        assert_eq!(COUNTRIES.len(), 249);
        let mut codes: Vec<&str> = COUNTRIES.iter().map(|c| c.0).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0), "sorted by code");
    }

    #[test]
    fn r23_an_unknown_country_is_refused_naming_the_field() {
        let mut bad = good();
        bad.country = "UK".into();
        let errors = bad.parse().unwrap_err();
        assert!(errors.for_field("Country").is_some());
    }

    #[test]
    fn r23_a_postal_code_of_the_wrong_shape_is_refused_naming_the_country() {
        let mut bad = good();
        bad.postal_code = "1011".into();
        assert_eq!(bad.parse().unwrap_err().for_field("Postal code"), Some("is not a postal code of Germany"));
        for (country, code) in [("US", "94105"), ("US", "94105-1234"), ("NL", "1011 AB"), ("CA", "K1A 0B1"), ("GB", "SW1A 1AA"), ("JP", "100-0001")] {
            assert!(check_postal_code(country, code).is_ok(), "{country} {code}");
        }
        for (country, code) in [("US", "9410"), ("NL", "AB 1011"), ("CA", "123 456"), ("GB", "12345"), ("JP", "!")] {
            assert!(check_postal_code(country, code).is_err(), "{country} {code}");
        }
    }

    #[test]
    fn r23_a_postal_code_with_a_multi_byte_character_is_refused_not_a_panic() {
        for country in ["NL", "US", "GB", "CA", "DE", "JP"] {
            for code in ["123é5", "1234é6789", "é", "12😀AB", "SW1A 1Aé", "K1A 0Bé"] {
                assert!(check_postal_code(country, code).is_err(), "{country} {code}");
            }
        }
    }

    #[test]
    fn every_missing_required_field_is_reported_at_once() {
        let errors = ShippingLocation::default().parse().unwrap_err();
        for field in ["Recipient", "Address line 1", "City", "Postal code", "Country"] {
            assert!(errors.for_field(field).is_some(), "{field}");
        }
        assert!(errors.for_field("Phone").is_none(), "phone is optional");
    }
}
