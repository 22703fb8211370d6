"""Systems and extensions the resources use (HL7 Poland's identifiers where one exists)."""

# Identifiers (OIDs of the Polish e-health identifier registry, as the PL base IG names them).
PESEL = "urn:oid:2.16.840.1.113883.3.4424.1.1.616"
NPWZ = "urn:oid:2.16.840.1.113883.3.4424.1.6.2"  # numer prawa wykonywania zawodu lekarza
NIP = "urn:oid:2.16.840.1.113883.3.4424.2.1"
REGON_9 = "urn:oid:2.16.840.1.113883.3.4424.2.2.1"
REGON_14 = "urn:oid:2.16.840.1.113883.3.4424.2.2.2"

# Kod resortowy cz. VIII (specjalność komórki organizacyjnej), HL7 Poland's code system.
DEPARTMENT = "http://hl7.org.pl/fhir/CodeSystem/pl-medicalEntityCellType-CS"
# The platform's own dictionary of specializations patients search by (`catalog.Specialization`).
SPECIALIZATION = "urn:terminarz:specjalizacja"

# The platform's own: a visit's booking reference, its secret (given once to the public client
# that booked it), the channel it was booked on, a hold's end.
BOOKING_REFERENCE = "urn:terminarz:numer-rezerwacji"
APPOINTMENT_TOKEN = "urn:terminarz:token-wizyty"
CHANNEL = "urn:terminarz:kanal"
HOLD_UNTIL = "urn:terminarz:trzymany-do"
VISIT_TYPE = "urn:terminarz:rodzaj-wizyty"

# SMART Scheduling Links.
BOOKING_DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
BOOKING_PHONE = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone"

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
