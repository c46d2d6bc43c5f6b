import { describe, expect, it } from "vitest";
import {
  applicationPeriod,
  count,
  counted,
  fullDate,
  hour,
  moment,
  parseHour,
  phone,
  price,
  responsePeriod,
} from "./format";

describe("French wording", () => {
  it("writes the seed's calendar", () => {
    expect(applicationPeriod("2016-08-23", "2016-09-07")).toBe(
      "Du mardi 23 août au mercredi 7 septembre 2016",
    );
    expect(responsePeriod("2016-09-08", "2016-09-30")).toBe("Du 8 septembre au 30 septembre 2016");
  });

  it("writes the first of the month as 1er", () => {
    expect(responsePeriod("2026-12-10", "2027-01-01")).toBe("Du 10 décembre 2026 au 1er janvier 2027");
    expect(applicationPeriod("2027-03-01", "2027-03-11")).toBe(
      "Du lundi 1er mars au jeudi 11 mars 2027",
    );
  });

  it("writes a deadline with its weekday and year", () => {
    expect(fullDate("2016-09-15")).toBe("jeudi 15 septembre 2016");
    expect(fullDate("2027-01-01")).toBe("vendredi 1er janvier 2027");
  });

  it("writes hours and prices", () => {
    expect(hour("18:30:00")).toBe("18 h 30");
    expect(hour("09:00:00")).toBe("9 h");
    expect(price("142.00").replace(/\s/g, " ")).toBe("142,00 €");
  });

  it("writes phones as the French read them, and counts with a thin space", () => {
    expect(phone("+33612345678")).toBe("06 12 34 56 78");
    expect(phone("+262692123456")).toBe("06 92 12 34 56");
    expect(phone("+447911123456")).toBe("+447911123456");
    expect(count(1234).replace(/\s/g, " ")).toBe("1 234");
  });

  it("reads the hours people type", () => {
    expect(parseHour("18 h 30")).toBe("18:30");
    expect(parseHour("18h30")).toBe("18:30");
    expect(parseHour("9 h")).toBe("09:00");
    expect(parseHour("09:05")).toBe("09:05");
    expect(parseHour("24 h")).toBeNull();
    expect(parseHour("18 h 75")).toBeNull();
    expect(parseHour("demain")).toBeNull();
  });

  it("writes an instant in Paris time", () => {
    expect(moment("2026-12-12T17:30:00Z")).toBe("samedi 12 décembre 2026 à 18 h 30");
    expect(moment("2027-07-01T07:00:00+00:00")).toBe("jeudi 1er juillet 2027 à 9 h");
  });

  it("agrees a noun with its number, 0 and 1 in the singular", () => {
    expect(counted(0, "candidature")).toBe("0 candidature");
    expect(counted(1, "candidature")).toBe("1 candidature");
    expect(counted(2, "non retenue", "non retenues")).toBe("2 non retenues");
  });
});

describe("a period across a new year", () => {
  it("gives the year of each end", async () => {
    const { applicationPeriod, responsePeriod } = await import("./format");
    expect(responsePeriod("2026-12-16", "2027-01-07")).toBe("Du 16 décembre 2026 au 7 janvier 2027");
    expect(applicationPeriod("2026-12-31", "2027-01-02")).toBe(
      "Du jeudi 31 décembre 2026 au samedi 2 janvier 2027",
    );
    expect(responsePeriod("2016-09-08", "2016-09-30")).toBe("Du 8 septembre au 30 septembre 2016");
  });
});
